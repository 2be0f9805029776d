#!/usr/bin/env bash
# DePT_ATP base-to-novel training on the base classes: bash scripts/dept/atprompt_base2new_train.sh DATASET [SEED ...]
# Settings: configs/atprompt/DePT_ATP.conf; attribute overrides: see scripts/atprompt/settings.sh.
source "$(dirname "${BASH_SOURCE[0]}")/../atprompt/settings.sh"
use_atprompt_settings DePT_ATP
main_base_to_novel_train DePT_ATP "$@"
