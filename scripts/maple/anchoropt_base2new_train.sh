#!/usr/bin/env bash
# MaPLe + AnchorOPT base-to-novel training on the base classes: bash scripts/maple/anchoropt_base2new_train.sh DATASET [SEED ...]
source "$(dirname "${BASH_SOURCE[0]}")/../anchoropt/settings.sh"
use_anchoropt_settings MaPLe_AnchorOPT
main_base_to_novel_train MaPLe_AnchorOPT "$@"
