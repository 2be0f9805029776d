#!/usr/bin/env bash
# CoOp_ATP base-to-novel training on the base classes: bash scripts/coop/atprompt_base2new_train.sh DATASET [SEED ...]
# Settings: configs/runs/CoOp_ATP.yaml; attribute overrides: see scripts/README.md.
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
launch_step base2new_train CoOp_ATP "$@"
