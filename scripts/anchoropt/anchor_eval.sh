#!/usr/bin/env bash
# Novel-class accuracy of the stage-I anchors (anchor-only prompts): bash scripts/anchoropt/anchor_eval.sh DATASET [SEED ...]
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
launch_step base2new_test CoOp_Pretrain_Anchor "$@"
