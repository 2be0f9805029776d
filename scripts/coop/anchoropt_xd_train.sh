#!/usr/bin/env bash
# CoOp + AnchorOPT on all ImageNet classes for cross-dataset / DG: bash scripts/coop/anchoropt_xd_train.sh [SEED ...]
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
launch_step xd_train CoOp_AnchorOPT "$@"
