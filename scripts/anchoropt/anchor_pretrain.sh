#!/usr/bin/env bash
# AnchorOPT stage I (text-only anchor pre-training on the base classes): bash scripts/anchoropt/anchor_pretrain.sh DATASET [SEED ...]
source "$(dirname "${BASH_SOURCE[0]}")/settings.sh"
use_anchoropt_settings CoOp_Pretrain_Anchor
main_base_to_novel_train CoOp_Pretrain_Anchor "$@"
