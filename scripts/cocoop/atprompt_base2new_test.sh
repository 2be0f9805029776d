#!/usr/bin/env bash
# CoCoOp_ATP evaluation on the novel classes: bash scripts/cocoop/atprompt_base2new_test.sh DATASET [SEED ...]
# Settings: configs/runs/CoCoOp_ATP.yaml; attribute overrides: see scripts/README.md.
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
launch_step base2new_test CoCoOp_ATP "$@"
