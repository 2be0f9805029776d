#!/usr/bin/env bash
# CoCoOp base-to-novel training on the base classes: bash scripts/cocoop/base2new_train.sh DATASET [SEED ...]
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
launch_step base2new_train CoCoOp "$@"
