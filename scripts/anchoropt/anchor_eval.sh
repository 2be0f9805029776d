#!/usr/bin/env bash
# Novel-class accuracy of the stage-I anchors (anchor-only prompts): bash scripts/anchoropt/anchor_eval.sh DATASET [SEED ...]
source "$(dirname "${BASH_SOURCE[0]}")/settings.sh"
use_anchoropt_settings CoOp_Pretrain_Anchor
main_base_to_novel_test CoOp_Pretrain_Anchor "$@"
