#!/usr/bin/env bash
# CoCoOp_ATP training on all ImageNet classes (cross-dataset / DG source): bash scripts/cocoop/atprompt_xd_train.sh [SEED ...]
# Settings: configs/atprompt/CoCoOp_ATP.conf; attribute overrides: see scripts/atprompt/settings.sh.
source "$(dirname "${BASH_SOURCE[0]}")/../atprompt/settings.sh"
use_atprompt_settings CoCoOp_ATP
main_xd_train CoCoOp_ATP "$@"
