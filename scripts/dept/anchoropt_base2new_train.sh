#!/usr/bin/env bash
# DePT + AnchorOPT base-to-novel training on the base classes: bash scripts/dept/anchoropt_base2new_train.sh DATASET [SEED ...]
source "$(dirname "${BASH_SOURCE[0]}")/../anchoropt/settings.sh"
use_anchoropt_settings DePT_AnchorOPT
main_base_to_novel_train DePT_AnchorOPT "$@"
