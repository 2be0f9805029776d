#!/usr/bin/env bash
# MaPLe_ATP base-to-novel training on the base classes: bash scripts/maple/atprompt_base2new_train.sh DATASET [SEED ...]
# Settings: configs/atprompt/MaPLe_ATP.conf; attribute overrides: see scripts/atprompt/settings.sh.
source "$(dirname "${BASH_SOURCE[0]}")/../atprompt/settings.sh"
use_atprompt_settings MaPLe_ATP
main_base_to_novel_train MaPLe_ATP "$@"
