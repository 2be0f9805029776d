#!/usr/bin/env bash
# ATPrompt search step 1, the LLM query for five attribute bases:
#   bash scripts/atprompt/query_attributes.sh DATASET_NAME CLASSNAMES_FILE [OUT]
# DATASET_NAME as in DATASET.NAME (e.g. OxfordPets); CLASSNAMES_FILE has one class name per line.
# OUT defaults to output/attributes/<DATASET_NAME>.json; pass it to step 2 as BASES_FILE.
# Endpoint: OPENAI_BASE_URL, OPENAI_MODEL, OPENAI_API_KEY (see scripts/llm/query_attributes.py).
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"
(( $# >= 2 && $# <= 3 )) || die "usage: bash scripts/atprompt/query_attributes.sh DATASET_NAME CLASSNAMES_FILE [OUT]"
classnames=$(realpath -m -- "$2")
out=$(realpath -m -- "${3:-$REPO_ROOT/$OUTPUT_ROOT/attributes/$1.json}")
cd "$REPO_ROOT"
run_command "$PYTHON" -m scripts.llm.query_attributes --dataset "$1" --classnames-file "$classnames" --out "$out"
