#!/usr/bin/env bash
# CoOp_ATP evaluation on the novel classes: bash scripts/coop/atprompt_base2new_test.sh DATASET [SEED ...]
# Settings: configs/runs/CoOp_ATP.yaml; attribute overrides: see scripts/README.md.
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
launch_step base2new_test CoOp_ATP "$@"
