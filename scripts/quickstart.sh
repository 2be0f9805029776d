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

dataset=${1:-eurosat}
require_dataset "$dataset"
export DATA=${DATA:-$PWD/data}
export BACKBONE=${BACKBONE:-ViT-B/16}
SEED=${SEED:-1}
DESCRIPTIONS_DIR=$(realpath -m -- "${DESCRIPTIONS_DIR:-$REPO_ROOT/templates}")
require_data_root
export EXTRA_OPTS="${EXTRA_OPTS:-} TRAINER.ANCHOROPT.DESCRIPTIONS_ROOT $DESCRIPTIONS_DIR"
read_extra_opts

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
SETTINGS_FILE=$REPO_ROOT/configs/anchoropt/CoOp_Pretrain_Anchor.conf use_trainer CoOp_Pretrain_Anchor
load_settings "$dataset"
stage_one_dir=$(base_to_novel_train_dir "$dataset" "$SEED")
[[ $stage_one_dir == /* ]] || stage_one_dir=$REPO_ROOT/$stage_one_dir
anchor=$stage_one_dir/anchor_prompt_learner/model.pth.tar-$EPOCHS

echo "== CoOp_AnchorOPT stage II (anchor: $anchor)"
EXTRA_OPTS="$EXTRA_OPTS TRAINER.ANCHOROPT.ANCHOR_PATH $anchor" \
    run_command bash "$SCRIPTS_DIR/base2new.sh" CoOp_AnchorOPT "$dataset" "$SEED"
