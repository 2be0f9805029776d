#!/usr/bin/env bash
# MaPLe_ATP training on all ImageNet classes (cross-dataset / DG source): bash scripts/maple/atprompt_xd_train.sh [SEED ...]
# Settings: configs/runs/MaPLe_ATP.yaml; attribute overrides: see scripts/README.md.
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
launch_step xd_train MaPLe_ATP "$@"
