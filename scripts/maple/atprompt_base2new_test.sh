#!/usr/bin/env bash
# MaPLe_ATP evaluation on the novel classes: bash scripts/maple/atprompt_base2new_test.sh DATASET [SEED ...]
# Settings: configs/atprompt/MaPLe_ATP.conf; attribute overrides: see scripts/atprompt/settings.sh.
source "$(dirname "${BASH_SOURCE[0]}")/../atprompt/settings.sh"
use_atprompt_settings MaPLe_ATP
main_base_to_novel_test MaPLe_ATP "$@"
