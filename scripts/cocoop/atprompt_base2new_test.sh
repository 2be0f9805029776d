#!/usr/bin/env bash
# CoCoOp_ATP evaluation on the novel classes: bash scripts/cocoop/atprompt_base2new_test.sh DATASET [SEED ...]
# Settings: configs/atprompt/CoCoOp_ATP.conf; attribute overrides: see scripts/atprompt/settings.sh.
source "$(dirname "${BASH_SOURCE[0]}")/../atprompt/settings.sh"
use_atprompt_settings CoCoOp_ATP
main_base_to_novel_test CoCoOp_ATP "$@"
