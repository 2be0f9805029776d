#!/usr/bin/env bash
# CoCoOp + AnchorOPT base-to-novel training on the base classes: bash scripts/cocoop/anchoropt_base2new_train.sh DATASET [SEED ...]
source "$(dirname "${BASH_SOURCE[0]}")/../anchoropt/settings.sh"
use_anchoropt_settings CoCoOp_AnchorOPT
main_base_to_novel_train CoCoOp_AnchorOPT "$@"
