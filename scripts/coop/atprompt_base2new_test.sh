#!/usr/bin/env bash
# CoOp_ATP evaluation on the novel classes: bash scripts/coop/atprompt_base2new_test.sh DATASET [SEED ...]
# Settings: configs/atprompt/CoOp_ATP.conf; attribute overrides: see scripts/atprompt/settings.sh.
source "$(dirname "${BASH_SOURCE[0]}")/../atprompt/settings.sh"
use_atprompt_settings CoOp_ATP
main_base_to_novel_test CoOp_ATP "$@"
