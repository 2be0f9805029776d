#!/usr/bin/env bash
# MaPLe + AnchorOPT base-to-novel training on the base classes: bash scripts/maple/anchoropt_base2new_train.sh DATASET [SEED ...]
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
launch_step base2new_train MaPLe_AnchorOPT "$@"
