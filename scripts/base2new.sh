#!/usr/bin/env bash
# One-command base-to-novel sweep: train on base, evaluate on new, every dataset and seed, then print
# the table. Finished runs are skipped, so an interrupted sweep resumes where it stopped.
#   bash scripts/base2new.sh TRAINER DATASET|all [SEED ...]
# Settings come from the trainer's scripts/<method>/<Trainer>.conf (see scripts/common.sh).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

(( $# >= 2 )) || die "usage: bash scripts/base2new.sh TRAINER DATASET|all [SEED ...]"
use_trainer "$1"
require_dataset "$2"
datasets=("$2")
[[ $2 != all ]] || datasets=("${BASE_TO_NOVEL_DATASETS[@]}")
parse_seeds "${@:3}"
require_data_root

for dataset in "${datasets[@]}"; do
    load_settings "$dataset"
    if [[ $TRAINING_FREE == 1 ]]; then
        zero_shot "$dataset" base
        zero_shot "$dataset" new
        continue
    fi
    for seed in "${SEEDS[@]}"; do
        base_to_novel_train "$dataset" "$seed"
        base_to_novel_test "$dataset" "$seed"
    done
done

if [[ $TRAINING_FREE == 1 ]]; then
    print_table
else
    print_table "${SEEDS[@]}"
fi
