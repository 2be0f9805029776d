#!/usr/bin/env bash
# CoCoOp_ATP base-to-novel training on the base classes: bash scripts/cocoop/atprompt_base2new_train.sh DATASET [SEED ...]
# Settings: configs/atprompt/CoCoOp_ATP.conf; attribute overrides: see scripts/atprompt/settings.sh.
source "$(dirname "${BASH_SOURCE[0]}")/../atprompt/settings.sh"
use_atprompt_settings CoCoOp_ATP
main_base_to_novel_train CoCoOp_ATP "$@"
