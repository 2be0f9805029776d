#!/usr/bin/env bash
# CPU mini-benchmark: a procedural colour x texture x shape world, a tiny CLIP pretrained on its base
# combinations, then zero-shot CLIP, CoOp, CoOp+ATPrompt and CoOp+AnchorOPT base-to-novel through
# train.py for one seed, and the Base/Novel/HM table and chart. A fast loop for developing methods
# (about 6 min on 2 busy CPU cores, half of it pretraining), not a claim about the real benchmarks.
# The tiny CLIP's image features separate base classes better (linear probe ~80%) than its text
# side does zero-shot (~60%, nearly all errors on shape); the prompt learners gain little of that.
#
#   bash scripts/demo.sh [--output-dir DIR] [--seed S]
#
# Environment: DEMO_OUTPUT (default output/demo; --output-dir wins), DEMO_SEED (default 1), PYTHON.
# Finished steps are skipped on a re-run; delete DIR to start over.

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DEMO_DIR=${DEMO_OUTPUT:-output/demo}
SEED=${DEMO_SEED:-1}
while (( $# > 0 )); do
    case $1 in
        --output-dir) (( $# >= 2 )) || die "--output-dir needs a folder"; DEMO_DIR=$2; shift 2 ;;
        --seed) (( $# >= 2 )) || die "--seed needs a value"; SEED=$2; shift 2 ;;
        *) die "unknown argument '$1' (usage: bash scripts/demo.sh [--output-dir DIR] [--seed S])" ;;
    esac
done
parse_seeds "$SEED"
DEMO_DIR=$(realpath -m -- "$DEMO_DIR")
cd "$REPO_ROOT"
STARTED=$SECONDS

# Step 1: dataset + tiny CLIP (skipped when already there).
"$PYTHON" -m scripts.demo.prepare --output-dir "$DEMO_DIR" --seed "$SEED"

DATA=$DEMO_DIR
DATASET=procedural_world
SHOTS=16
RUNS=$DEMO_DIR/runs
DEMO_OPTS=(
    MODEL.BACKBONE.NAME "$DEMO_DIR/tiny_clip.pt"
    INPUT.SIZE "(32, 32)" INPUT.TRANSFORMS "['random_flip', 'normalize']"
    DATALOADER.NUM_WORKERS 0 DATALOADER.TEST.BATCH_SIZE 200 TRAIN.PRINT_FREQ 12
    TRAINER.COOP.PREC fp32 TRAINER.FEATURE_CACHE.DIR "$DEMO_DIR/feature_cache"
    TRAINER.ZSCLIP.TEMPLATE "a photo of a {}."
)
CONFIG_PATH=configs/trainers/CoOp/vit_b16.yaml

# base_to_novel TRAINER EPOCHS [train.py options...]: train on base classes, evaluate the last epoch on new ones.
base_to_novel() {
    local epochs=$2 train_dir=$RUNS/$1/seed$SEED
    TRAINER=$1
    shift 2
    OPTS=("${DEMO_OPTS[@]}" OPTIM.MAX_EPOCH "$epochs" "$@")
    train_py "$train_dir" "$DATASET" base "$SEED"
    train_py "$train_dir/evaluation" "$DATASET" new "$SEED" --eval-only --model-dir "$train_dir" --load-epoch "$epochs"
}

# Step 2: zero-shot CLIP on each half.
TRAINER=ZeroshotCLIP
OPTS=("${DEMO_OPTS[@]}")
for split in base new; do
    train_py "$RUNS/ZeroshotCLIP/$split/seed$SEED" "$DATASET" "$split" "$SEED" --eval-only
done

# Step 3: CoOp and CoOp+ATPrompt (attribute words the tiny CLIP learned: "color", "shape").
base_to_novel CoOp 10 OPTIM.LR 0.02 TRAINER.COOP.N_CTX 4
base_to_novel CoOp_ATP 10 OPTIM.LR 0.02 TRAINER.COOP.N_CTX 1 TRAINER.ATPROMPT.USE_ATPROMPT True \
    TRAINER.ATPROMPT.ATT_NUM 2 TRAINER.ATPROMPT.ATT1_TEXT color TRAINER.ATPROMPT.ATT2_TEXT shape \
    TRAINER.ATPROMPT.N_ATT1 1 TRAINER.ATPROMPT.N_ATT2 1

# Step 4: AnchorOPT stage I (anchor from the generated descriptions; outside runs/, it is not a method row).
ANCHOR_EPOCHS=10
ANCHOR_DIR=$DEMO_DIR/anchor/seed$SEED
TRAINER=CoOp_Pretrain_Anchor
OPTS=("${DEMO_OPTS[@]}" OPTIM.MAX_EPOCH "$ANCHOR_EPOCHS" TRAINER.ANCHOROPT.ANCHOR_MSE_WEIGHT 1000.0
      TRAINER.ANCHOROPT.DESCRIPTIONS_FILE "$DEMO_DIR/procedural_world/descriptions.json")
train_py "$ANCHOR_DIR" "$DATASET" base "$SEED"

# Step 5: AnchorOPT stage II on CoOp with that anchor. Pooled at the real EOS (upstream reads the "."
# before it, which only a large CLIP tolerates) and with noise-free positions at test (deterministic).
base_to_novel CoOp_AnchorOPT 10 OPTIM.LR 0.02 TRAINER.ANCHOROPT.N_CTX 4 \
    TRAINER.ANCHOROPT.PROMPT_CE_WEIGHT 1.0 TRAINER.ANCHOROPT.KD_WEIGHT 10.0 TRAINER.ANCHOROPT.KD_TEMPERATURE 2.0 \
    TRAINER.ANCHOROPT.POOL_INDEX eos TRAINER.ANCHOROPT.TEST_POSITION argmax \
    TRAINER.ANCHOROPT.ANCHOR_PATH "$ANCHOR_DIR/anchor_prompt_learner/model.pth.tar-$ANCHOR_EPOCHS"

# Step 6: the table and the chart.
"$PYTHON" parse_test_res.py "$RUNS" --table --no-published --markdown "$DEMO_DIR/results.md" \
    --plot "$DEMO_DIR/hm.png"
echo "Chart: $DEMO_DIR/hm.png; table: $DEMO_DIR/results.md; demo time: $(( SECONDS - STARTED )) s"
