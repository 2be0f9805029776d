#!/usr/bin/env bash
# KgCoOp_ATP evaluation of the ImageNet models: bash scripts/kgcoop/atprompt_xd_test.sh TARGET|xd|dg|all [SEED ...]
# Settings: configs/atprompt/KgCoOp_ATP.conf; attribute overrides: see scripts/atprompt/settings.sh.
source "$(dirname "${BASH_SOURCE[0]}")/../atprompt/settings.sh"
use_atprompt_settings KgCoOp_ATP
main_xd_test KgCoOp_ATP "$@"
