#!/usr/bin/env bash
# DePT + AnchorOPT base-to-novel training on the base classes: bash scripts/dept/anchoropt_base2new_train.sh DATASET [SEED ...]
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
launch_step base2new_train DePT_AnchorOPT "$@"
