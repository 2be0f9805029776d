#!/usr/bin/env bash
# KgCoOp_ATP evaluation on the novel classes: bash scripts/kgcoop/atprompt_base2new_test.sh DATASET [SEED ...]
# Settings: configs/runs/KgCoOp_ATP.yaml; attribute overrides: see scripts/README.md.
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
launch_step base2new_test KgCoOp_ATP "$@"
