#!/usr/bin/env bash
# MaPLe_ATP evaluation of the ImageNet models: bash scripts/maple/atprompt_xd_test.sh TARGET|xd|dg|all [SEED ...]
# Settings: configs/runs/MaPLe_ATP.yaml; attribute overrides: see scripts/README.md.
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
launch_step xd_test MaPLe_ATP "$@"
