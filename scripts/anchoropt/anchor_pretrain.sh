#!/usr/bin/env bash
# AnchorOPT stage I (text-only anchor pre-training on the base classes): bash scripts/anchoropt/anchor_pretrain.sh DATASET [SEED ...]
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
launch_step base2new_train CoOp_Pretrain_Anchor "$@"
