#!/usr/bin/env bash
# CoCoOp base-to-novel training on the base classes: bash scripts/cocoop/base2new_train.sh DATASET [SEED ...]
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
main_base_to_novel_train CoCoOp "$@"
