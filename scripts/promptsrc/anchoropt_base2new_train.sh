#!/usr/bin/env bash
# PromptSRC + AnchorOPT base-to-novel training on the base classes: bash scripts/promptsrc/anchoropt_base2new_train.sh DATASET [SEED ...]
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
launch_step base2new_train PromptSRC_AnchorOPT "$@"
