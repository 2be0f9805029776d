#!/usr/bin/env bash
# KgCoOp_ATP base-to-novel training on the base classes: bash scripts/kgcoop/atprompt_base2new_train.sh DATASET [SEED ...]
# Settings: configs/atprompt/KgCoOp_ATP.conf; attribute overrides: see scripts/atprompt/settings.sh.
source "$(dirname "${BASH_SOURCE[0]}")/../atprompt/settings.sh"
use_atprompt_settings KgCoOp_ATP
main_base_to_novel_train KgCoOp_ATP "$@"
