#!/usr/bin/env bash
# CoCoOp_ATP training on all ImageNet classes (cross-dataset / DG source): bash scripts/cocoop/atprompt_xd_train.sh [SEED ...]
# Settings: configs/runs/CoCoOp_ATP.yaml; attribute overrides: see scripts/README.md.
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
launch_step xd_train CoCoOp_ATP "$@"
