#!/usr/bin/env bash
# ATPrompt search step 2, the differentiable attribute search on the base classes (seed 1 by default):
#   bash scripts/atprompt/search_attributes.sh DATASET [SEED]
# Bases: the dataset's row of configs/atprompt/attributes.yaml, or BASES_FILE=<step-1 attributes.json>.
# Writes <run>/attribute_search.json (per-epoch weights and the winner); train with it through
#   ATTRIBUTES_FILE=<run>/attribute_search.json bash scripts/coop/atprompt_base2new_train.sh DATASET
# Settings: configs/runs/AttributeCompute.yaml.
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
launch_step search AttributeCompute "$@"
