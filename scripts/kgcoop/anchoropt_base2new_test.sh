#!/usr/bin/env bash
# KgCoOp + AnchorOPT novel-class evaluation (ensemble of prompt and anchor): bash scripts/kgcoop/anchoropt_base2new_test.sh DATASET [SEED ...]
source "$(dirname "${BASH_SOURCE[0]}")/../anchoropt/settings.sh"
use_anchoropt_settings KgCoOp_AnchorOPT
main_base_to_novel_test KgCoOp_AnchorOPT "$@"
