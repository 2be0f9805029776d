#!/usr/bin/env bash
# CoOp_ATP evaluation of the ImageNet models: bash scripts/coop/atprompt_xd_test.sh TARGET|xd|dg|all [SEED ...]
# Settings: configs/runs/CoOp_ATP.yaml; attribute overrides: see scripts/README.md.
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
launch_step xd_test CoOp_ATP "$@"
