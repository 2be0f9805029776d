#!/usr/bin/env bash
# DePT evaluation of the ImageNet models: bash scripts/dept/xd_test.sh TARGET|xd|dg|all [SEED ...]
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
launch_step xd_test DePT "$@"
