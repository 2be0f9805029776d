#!/usr/bin/env bash
# PromptSRC_ATP base-to-novel training on the base classes: bash scripts/promptsrc/atprompt_base2new_train.sh DATASET [SEED ...]
# Settings: configs/atprompt/PromptSRC_ATP.conf; attribute overrides: see scripts/atprompt/settings.sh.
source "$(dirname "${BASH_SOURCE[0]}")/../atprompt/settings.sh"
use_atprompt_settings PromptSRC_ATP
main_base_to_novel_train PromptSRC_ATP "$@"
