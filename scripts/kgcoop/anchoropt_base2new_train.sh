#!/usr/bin/env bash
# KgCoOp + AnchorOPT base-to-novel training on the base classes: bash scripts/kgcoop/anchoropt_base2new_train.sh DATASET [SEED ...]
source "$(dirname "${BASH_SOURCE[0]}")/../anchoropt/settings.sh"
use_anchoropt_settings KgCoOp_AnchorOPT
main_base_to_novel_train KgCoOp_AnchorOPT "$@"
