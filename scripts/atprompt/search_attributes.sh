#!/usr/bin/env bash
# ATPrompt search step 2, the differentiable attribute search on the base classes (seed 1 by default):
#   bash scripts/atprompt/search_attributes.sh DATASET [SEED]
# Bases: the dataset's row of configs/atprompt/attributes.yaml, or BASES_FILE=<step-1 attributes.json>.
# Writes <run>/attribute_search.json (per-epoch weights and the winner); train with it through
#   ATTRIBUTES_FILE=<run>/attribute_search.json bash scripts/coop/atprompt_base2new_train.sh DATASET
source "$(dirname "${BASH_SOURCE[0]}")/settings.sh"
use_search_settings
(( $# <= 2 )) || die "usage: bash scripts/atprompt/search_attributes.sh DATASET [SEED]"
main_base_to_novel_train AttributeCompute "${1:-}" "${2:-1}"
load_settings "$1"
echo "Search result: $(base_to_novel_train_dir "$1" "${2:-1}")/attribute_search.json"
