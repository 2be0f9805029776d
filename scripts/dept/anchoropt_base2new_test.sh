#!/usr/bin/env bash
# DePT + AnchorOPT novel-class evaluation (ensemble of prompt and anchor): bash scripts/dept/anchoropt_base2new_test.sh DATASET [SEED ...]
source "$(dirname "${BASH_SOURCE[0]}")/../anchoropt/settings.sh"
use_anchoropt_settings DePT_AnchorOPT
main_base_to_novel_test DePT_AnchorOPT "$@"
