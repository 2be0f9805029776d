#!/usr/bin/env bash
# KgCoOp + AnchorOPT evaluation of the ImageNet models (source anchor by default, XD_ANCHOR): bash scripts/kgcoop/anchoropt_xd_test.sh TARGET|xd|dg|all [SEED ...]
source "$(dirname "${BASH_SOURCE[0]}")/../anchoropt/settings.sh"
use_anchoropt_settings KgCoOp_AnchorOPT
main_xd_test KgCoOp_AnchorOPT "$@"
