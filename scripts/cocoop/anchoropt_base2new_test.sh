#!/usr/bin/env bash
# CoCoOp + AnchorOPT novel-class evaluation (ensemble of prompt and anchor): bash scripts/cocoop/anchoropt_base2new_test.sh DATASET [SEED ...]
source "$(dirname "${BASH_SOURCE[0]}")/../anchoropt/settings.sh"
use_anchoropt_settings CoCoOp_AnchorOPT
main_base_to_novel_test CoCoOp_AnchorOPT "$@"
