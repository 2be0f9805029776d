#!/usr/bin/env bash
# KgCoOp + AnchorOPT on all ImageNet classes for cross-dataset / DG: bash scripts/kgcoop/anchoropt_xd_train.sh [SEED ...]
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
launch_step xd_train KgCoOp_AnchorOPT "$@"
