#!/usr/bin/env bash
# KgCoOp_ATP evaluation of the ImageNet models: bash scripts/kgcoop/atprompt_xd_test.sh TARGET|xd|dg|all [SEED ...]
# Settings: configs/runs/KgCoOp_ATP.yaml; attribute overrides: see scripts/README.md.
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
launch_step xd_test KgCoOp_ATP "$@"
