#!/usr/bin/env bash
# KgCoOp evaluation of the ImageNet models: bash scripts/kgcoop/xd_test.sh TARGET|xd|dg|all [SEED ...]
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
launch_step xd_test KgCoOp "$@"
