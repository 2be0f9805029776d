#!/usr/bin/env bash
# CoOp_ATP base-to-novel training on the base classes: bash scripts/coop/atprompt_base2new_train.sh DATASET [SEED ...]
# Settings: configs/atprompt/CoOp_ATP.conf; attribute overrides: see scripts/atprompt/settings.sh.
source "$(dirname "${BASH_SOURCE[0]}")/../atprompt/settings.sh"
use_atprompt_settings CoOp_ATP
main_base_to_novel_train CoOp_ATP "$@"
