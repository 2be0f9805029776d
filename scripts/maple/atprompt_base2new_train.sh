#!/usr/bin/env bash
# MaPLe_ATP base-to-novel training on the base classes: bash scripts/maple/atprompt_base2new_train.sh DATASET [SEED ...]
# Settings: configs/runs/MaPLe_ATP.yaml; attribute overrides: see scripts/README.md.
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
launch_step base2new_train MaPLe_ATP "$@"
