#!/usr/bin/env bash
# CoCoOp_ATP evaluation of the ImageNet models: bash scripts/cocoop/atprompt_xd_test.sh TARGET|xd|dg|all [SEED ...]
# Settings: configs/atprompt/CoCoOp_ATP.conf; attribute overrides: see scripts/atprompt/settings.sh.
source "$(dirname "${BASH_SOURCE[0]}")/../atprompt/settings.sh"
use_atprompt_settings CoCoOp_ATP
main_xd_test CoCoOp_ATP "$@"
