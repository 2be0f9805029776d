#!/usr/bin/env bash
# CoOp_ATP evaluation of the ImageNet models: bash scripts/coop/atprompt_xd_test.sh TARGET|xd|dg|all [SEED ...]
# Settings: configs/atprompt/CoOp_ATP.conf; attribute overrides: see scripts/atprompt/settings.sh.
source "$(dirname "${BASH_SOURCE[0]}")/../atprompt/settings.sh"
use_atprompt_settings CoOp_ATP
main_xd_test CoOp_ATP "$@"
