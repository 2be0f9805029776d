#!/usr/bin/env bash
# CoOp novel-class evaluation of the base-trained models: bash scripts/coop/base2new_test.sh DATASET [SEED ...]
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
launch_step base2new_test CoOp "$@"
