#!/usr/bin/env bash
# PromptSRC_ATP evaluation on the novel classes: bash scripts/promptsrc/atprompt_base2new_test.sh DATASET [SEED ...]
# Settings: configs/runs/PromptSRC_ATP.yaml; attribute overrides: see scripts/README.md.
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
launch_step base2new_test PromptSRC_ATP "$@"
