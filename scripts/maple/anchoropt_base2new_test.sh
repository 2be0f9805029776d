#!/usr/bin/env bash
# MaPLe + AnchorOPT novel-class evaluation (ensemble of prompt and anchor): bash scripts/maple/anchoropt_base2new_test.sh DATASET [SEED ...]
source "$(dirname "${BASH_SOURCE[0]}")/../anchoropt/settings.sh"
use_anchoropt_settings MaPLe_AnchorOPT
main_base_to_novel_test MaPLe_AnchorOPT "$@"
