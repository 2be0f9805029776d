#!/usr/bin/env bash
# CoOp + AnchorOPT novel-class evaluation (ensemble of prompt and anchor): bash scripts/coop/anchoropt_base2new_test.sh DATASET [SEED ...]
source "$(dirname "${BASH_SOURCE[0]}")/../anchoropt/settings.sh"
use_anchoropt_settings CoOp_AnchorOPT
main_base_to_novel_test CoOp_AnchorOPT "$@"
