#!/usr/bin/env bash
# KgCoOp + AnchorOPT evaluation of the ImageNet models (source anchor by default, XD_ANCHOR): bash scripts/kgcoop/anchoropt_xd_test.sh TARGET|xd|dg|all [SEED ...]
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
launch_step xd_test KgCoOp_AnchorOPT "$@"
