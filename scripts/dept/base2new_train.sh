#!/usr/bin/env bash
# DePT base-to-novel training on the base classes: bash scripts/dept/base2new_train.sh DATASET [SEED ...]
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
launch_step base2new_train DePT "$@"
