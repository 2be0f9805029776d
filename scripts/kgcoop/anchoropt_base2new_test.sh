#!/usr/bin/env bash
# KgCoOp + AnchorOPT novel-class evaluation (ensemble of prompt and anchor): bash scripts/kgcoop/anchoropt_base2new_test.sh DATASET [SEED ...]
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
launch_step base2new_test KgCoOp_AnchorOPT "$@"
