#!/usr/bin/env bash
# PromptSRC_ATP evaluation on the novel classes: bash scripts/promptsrc/atprompt_base2new_test.sh DATASET [SEED ...]
# Settings: configs/atprompt/PromptSRC_ATP.conf; attribute overrides: see scripts/atprompt/settings.sh.
source "$(dirname "${BASH_SOURCE[0]}")/../atprompt/settings.sh"
use_atprompt_settings PromptSRC_ATP
main_base_to_novel_test PromptSRC_ATP "$@"
