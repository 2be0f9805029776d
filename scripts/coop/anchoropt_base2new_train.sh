#!/usr/bin/env bash
# CoOp + AnchorOPT base-to-novel training on the base classes: bash scripts/coop/anchoropt_base2new_train.sh DATASET [SEED ...]
source "$(dirname "${BASH_SOURCE[0]}")/../anchoropt/settings.sh"
use_anchoropt_settings CoOp_AnchorOPT
main_base_to_novel_train CoOp_AnchorOPT "$@"
