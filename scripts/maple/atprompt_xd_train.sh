#!/usr/bin/env bash
# MaPLe_ATP training on all ImageNet classes (cross-dataset / DG source): bash scripts/maple/atprompt_xd_train.sh [SEED ...]
# Settings: configs/atprompt/MaPLe_ATP.conf; attribute overrides: see scripts/atprompt/settings.sh.
source "$(dirname "${BASH_SOURCE[0]}")/../atprompt/settings.sh"
use_atprompt_settings MaPLe_ATP
main_xd_train MaPLe_ATP "$@"
