#!/usr/bin/env bash
# KgCoOp novel-class evaluation of the base-trained models: bash scripts/kgcoop/base2new_test.sh DATASET [SEED ...]
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
launch_step base2new_test KgCoOp "$@"
