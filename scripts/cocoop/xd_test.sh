#!/usr/bin/env bash
# CoCoOp evaluation of the ImageNet models: bash scripts/cocoop/xd_test.sh TARGET|xd|dg|all [SEED ...]
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
launch_step xd_test CoCoOp "$@"
