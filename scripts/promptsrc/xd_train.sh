#!/usr/bin/env bash
# PromptSRC training on all ImageNet classes for cross-dataset / domain generalisation: bash scripts/promptsrc/xd_train.sh [SEED ...]
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
launch_step xd_train PromptSRC "$@"
