#!/usr/bin/env bash
# KgCoOp_ATP training on all ImageNet classes (cross-dataset / DG source): bash scripts/kgcoop/atprompt_xd_train.sh [SEED ...]
# Settings: configs/atprompt/KgCoOp_ATP.conf; attribute overrides: see scripts/atprompt/settings.sh.
source "$(dirname "${BASH_SOURCE[0]}")/../atprompt/settings.sh"
use_atprompt_settings KgCoOp_ATP
main_xd_train KgCoOp_ATP "$@"
