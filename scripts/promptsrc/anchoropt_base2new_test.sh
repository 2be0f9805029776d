#!/usr/bin/env bash
# PromptSRC + AnchorOPT novel-class evaluation (ensemble of prompt and anchor): bash scripts/promptsrc/anchoropt_base2new_test.sh DATASET [SEED ...]
source "$(dirname "${BASH_SOURCE[0]}")/../anchoropt/settings.sh"
use_anchoropt_settings PromptSRC_AnchorOPT
main_base_to_novel_test PromptSRC_AnchorOPT "$@"
