#!/usr/bin/env bash
# Day one on a CUDA machine with internet: fetch, check, then one seed of the four methods with the papers' settings.
#   bash scripts/quickstart.sh [DATASET]        (a config stem; default eurosat, the smallest of the 11)
# Fetches the CLIP weights (BACKBONE, default ViT-B/16), the dataset with its split file and the CuPL
# descriptions; runs zero-shot CLIP, CoOp, CoOp_ATP and CoOp_AnchorOPT (stage I, then stage II on the
# new anchor) for SEED (default 1); each prints Base / Novel / HM beside the published row.
# Finished steps are skipped on a re-run (fetch skips what is in place, runs with a test result are kept).
# Environment: DATA (default ./data), SEED, BACKBONE, OUTPUT_ROOT, FETCH_FROM (mirror of every download),
# DESCRIPTIONS_DIR (default templates, TRAINER.ANCHOROPT.DESCRIPTIONS_ROOT), EXTRA_OPTS (see scripts/README.md).
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# Run from anywhere: the modules are found through PYTHONPATH, relative paths stay the caller's.
export PYTHONPATH="$REPO_ROOT${PYTHONPATH:+:$PYTHONPATH}"
dataset=${1:-eurosat}
export DATA=${DATA:-$PWD/data}
export BACKBONE=${BACKBONE:-ViT-B/16}
SEED=${SEED:-1}
DESCRIPTIONS_DIR=$(realpath -m -- "${DESCRIPTIONS_DIR:-$REPO_ROOT/templates}")
export EXTRA_OPTS="${EXTRA_OPTS:-} TRAINER.ANCHOROPT.DESCRIPTIONS_ROOT $DESCRIPTIONS_DIR"
# Stage II's anchor, where the launcher's own stage-I run leaves it; asking first also checks the dataset
# name, DATA, BACKBONE and EXTRA_OPTS before anything is fetched.
anchor=$("$PYTHON" -m scripts.launch.shell anchor CoOp_AnchorOPT "$dataset" "$SEED")

echo "== fetch and check"
if [[ $BACKBONE =~ ^(RN|ViT-) ]]; then
    run_command "$PYTHON" -m clip.fetch "$BACKBONE"
fi
run_command "$PYTHON" -m datasets.fetch "$dataset" descriptions --root "$DATA" --descriptions-dir "$DESCRIPTIONS_DIR"
run_command "$PYTHON" -m datasets.check --root "$DATA" "$dataset"

for trainer in ZeroshotCLIP CoOp CoOp_ATP; do
    echo "== $trainer"
    run_command bash "$SCRIPTS_DIR/base2new.sh" "$trainer" "$dataset" "$SEED"
done

echo "== CoOp_AnchorOPT stage I (anchor pre-training)"
run_command bash "$SCRIPTS_DIR/anchoropt/anchor_pretrain.sh" "$dataset" "$SEED"

echo "== CoOp_AnchorOPT stage II (anchor: $anchor)"
EXTRA_OPTS="$EXTRA_OPTS TRAINER.ANCHOROPT.ANCHOR_PATH $anchor" \
    run_command bash "$SCRIPTS_DIR/base2new.sh" CoOp_AnchorOPT "$dataset" "$SEED"
