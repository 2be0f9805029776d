#!/usr/bin/env bash
# PromptSRC + AnchorOPT base-to-novel training on the base classes: bash scripts/promptsrc/anchoropt_base2new_train.sh DATASET [SEED ...]
source "$(dirname "${BASH_SOURCE[0]}")/../anchoropt/settings.sh"
use_anchoropt_settings PromptSRC_AnchorOPT
main_base_to_novel_train PromptSRC_AnchorOPT "$@"
