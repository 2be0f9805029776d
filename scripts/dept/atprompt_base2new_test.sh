#!/usr/bin/env bash
# DePT_ATP evaluation on the novel classes: bash scripts/dept/atprompt_base2new_test.sh DATASET [SEED ...]
# Settings: configs/atprompt/DePT_ATP.conf; attribute overrides: see scripts/atprompt/settings.sh.
source "$(dirname "${BASH_SOURCE[0]}")/../atprompt/settings.sh"
use_atprompt_settings DePT_ATP
main_base_to_novel_test DePT_ATP "$@"
