#!/usr/bin/env bash
# CoOp_ATP training on all ImageNet classes (cross-dataset / DG source): bash scripts/coop/atprompt_xd_train.sh [SEED ...]
# Settings: configs/atprompt/CoOp_ATP.conf; attribute overrides: see scripts/atprompt/settings.sh.
source "$(dirname "${BASH_SOURCE[0]}")/../atprompt/settings.sh"
use_atprompt_settings CoOp_ATP
main_xd_train CoOp_ATP "$@"
