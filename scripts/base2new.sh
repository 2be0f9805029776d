#!/usr/bin/env bash
# One-command base-to-novel sweep: train on base, evaluate on new, every dataset and seed, then print
# the table. Finished runs are skipped, so an interrupted sweep resumes where it stopped.
#   bash scripts/base2new.sh TRAINER DATASET|all [SEED ...]
# Settings come from configs/runs/<Trainer>.yaml; this is `python scripts/sweep.py --executor local`
# for one trainer (see scripts/README.md for GPUs and Slurm).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

(( $# >= 2 )) || die "usage: bash scripts/base2new.sh TRAINER DATASET|all [SEED ...]"
seeds=("${@:3}")
(( ${#seeds[@]} > 0 )) || seeds=(1 2 3)
PYTHONPATH="$REPO_ROOT${PYTHONPATH:+:$PYTHONPATH}" exec "$PYTHON" "$SCRIPTS_DIR/sweep.py" --trainers "$1" \
    --datasets "$2" --seeds "${seeds[@]}" --protocol base2new --executor local --no-feature-cache
