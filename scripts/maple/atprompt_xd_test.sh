#!/usr/bin/env bash
# MaPLe_ATP evaluation of the ImageNet models: bash scripts/maple/atprompt_xd_test.sh TARGET|xd|dg|all [SEED ...]
# Settings: configs/atprompt/MaPLe_ATP.conf; attribute overrides: see scripts/atprompt/settings.sh.
source "$(dirname "${BASH_SOURCE[0]}")/../atprompt/settings.sh"
use_atprompt_settings MaPLe_ATP
main_xd_test MaPLe_ATP "$@"
