#!/usr/bin/env bash
# CoOp_ATP training on all ImageNet classes (cross-dataset / DG source): bash scripts/coop/atprompt_xd_train.sh [SEED ...]
# Settings: configs/runs/CoOp_ATP.yaml; attribute overrides: see scripts/README.md.
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
launch_step xd_train CoOp_ATP "$@"
