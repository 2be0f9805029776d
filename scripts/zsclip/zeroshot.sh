#!/usr/bin/env bash
# Zero-shot CLIP evaluation: bash scripts/zsclip/zeroshot.sh DATASET [base|new|all ...] (default: base new)
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
launch_step zero_shot ZeroshotCLIP "$@"
