#!/usr/bin/env bash
# CoCoOp + AnchorOPT novel-class evaluation (ensemble of prompt and anchor): bash scripts/cocoop/anchoropt_base2new_test.sh DATASET [SEED ...]
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
launch_step base2new_test CoCoOp_AnchorOPT "$@"
