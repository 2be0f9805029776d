#!/usr/bin/env bash
# PromptSRC base-to-novel training on the base classes: bash scripts/promptsrc/base2new_train.sh DATASET [SEED ...]
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
main_base_to_novel_train PromptSRC "$@"
