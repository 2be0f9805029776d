#!/usr/bin/env bash
# CoCoOp_ATP evaluation of the ImageNet models: bash scripts/cocoop/atprompt_xd_test.sh TARGET|xd|dg|all [SEED ...]
# Settings: configs/runs/CoCoOp_ATP.yaml; attribute overrides: see scripts/README.md.
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
launch_step xd_test CoCoOp_ATP "$@"
