#!/usr/bin/env bash
# KgCoOp_ATP training on all ImageNet classes (cross-dataset / DG source): bash scripts/kgcoop/atprompt_xd_train.sh [SEED ...]
# Settings: configs/runs/KgCoOp_ATP.yaml; attribute overrides: see scripts/README.md.
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
launch_step xd_train KgCoOp_ATP "$@"
