#!/usr/bin/env bash
# DePT_ATP evaluation on the novel classes: bash scripts/dept/atprompt_base2new_test.sh DATASET [SEED ...]
# Settings: configs/runs/DePT_ATP.yaml; attribute overrides: see scripts/README.md.
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
launch_step base2new_test DePT_ATP "$@"
