#!/usr/bin/env bash
# MaPLe_ATP evaluation on the novel classes: bash scripts/maple/atprompt_base2new_test.sh DATASET [SEED ...]
# Settings: configs/runs/MaPLe_ATP.yaml; attribute overrides: see scripts/README.md.
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
launch_step base2new_test MaPLe_ATP "$@"
