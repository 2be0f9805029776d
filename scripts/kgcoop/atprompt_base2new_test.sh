#!/usr/bin/env bash
# KgCoOp_ATP evaluation on the novel classes: bash scripts/kgcoop/atprompt_base2new_test.sh DATASET [SEED ...]
# Settings: configs/atprompt/KgCoOp_ATP.conf; attribute overrides: see scripts/atprompt/settings.sh.
source "$(dirname "${BASH_SOURCE[0]}")/../atprompt/settings.sh"
use_atprompt_settings KgCoOp_ATP
main_base_to_novel_test KgCoOp_ATP "$@"
