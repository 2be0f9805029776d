#!/usr/bin/env bash
# KgCoOp + AnchorOPT base-to-novel training on the base classes: bash scripts/kgcoop/anchoropt_base2new_train.sh DATASET [SEED ...]
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
launch_step base2new_train KgCoOp_AnchorOPT "$@"
