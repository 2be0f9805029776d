#!/usr/bin/env bash
# CPU mini-benchmark: a procedural colour x texture x shape world, a tiny CLIP pretrained on captions of
# its base combinations, then zero-shot CLIP, CoOp, CoOp+ATPrompt and CoOp+AnchorOPT base-to-novel
# through train.py, and the Base/Novel/HM table (mean ± std over seeds) and chart. A fast loop for
# developing methods, not a claim about the real benchmarks (see README.md for what it shows and why).
#
#   bash scripts/demo.sh [--output-dir DIR] [--seeds S [S ...]]
#
# The world and the tiny CLIP are made once (seed 1), as the papers use one released CLIP; the seeds
# vary the few-shot draw and the prompts' initial values. CPU time (user+sys): about 150 s to prepare,
# then about 60 s per seed; `--seeds 1 2 3` took 327 s in all, i.e. under 3 min on 2 idle cores.
# Environment: DEMO_OUTPUT (default output/demo; --output-dir wins), DEMO_SEEDS (default 1), PYTHON.
# Finished steps are skipped on a re-run; delete DIR to start over.

source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

DEMO_DIR=${DEMO_OUTPUT:-output/demo}
read -r -a GIVEN_SEEDS <<< "${DEMO_SEEDS:-1}"
USAGE="usage: bash scripts/demo.sh [--output-dir DIR] [--seeds S [S ...]]"
while (( $# > 0 )); do
    case $1 in
        --output-dir) (( $# >= 2 )) || die "--output-dir needs a folder"; DEMO_DIR=$2; shift 2 ;;
        --seeds)
            shift
            GIVEN_SEEDS=()
            while (( $# > 0 )) && [[ $1 != --* ]]; do GIVEN_SEEDS+=("$1"); shift; done
            (( ${#GIVEN_SEEDS[@]} > 0 )) || die "--seeds needs at least one seed ($USAGE)" ;;
        *) die "unknown argument '$1' ($USAGE)" ;;
    esac
done
parse_seeds "${GIVEN_SEEDS[@]}"
WORLD_SEED=1
DEMO_DIR=$(realpath -m -- "$DEMO_DIR")
cd "$REPO_ROOT"
# One thread per process: the models are too small to gain from more, and on a busy machine spare
# OpenMP threads spin and contend (measured: CoOp steps 30x slower with 2 threads under load).
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
STARTED=$SECONDS

# Step 1: dataset + tiny CLIP (skipped when already there).
"$PYTHON" -m scripts.demo.prepare --output-dir "$DEMO_DIR" --seed "$WORLD_SEED"

DATA=$DEMO_DIR
DATASET=procedural_world
SHOTS=16
RUNS=$DEMO_DIR/runs
# One schedule for every learner (CoOp, ATPrompt, both AnchorOPT stages), as the real configs give them
# one LR (0.002) and comparable epochs: here 10 epochs at 10x that LR (the real runs' ~100 epochs, shortened).
EPOCHS=10
LR=0.02
DEMO_OPTS=(
    MODEL.BACKBONE.NAME "$DEMO_DIR/tiny_clip.pt"
    INPUT.SIZE "(32, 32)" INPUT.TRANSFORMS "['random_flip', 'normalize']"
    DATALOADER.NUM_WORKERS 0 DATALOADER.TEST.BATCH_SIZE 200 TRAIN.PRINT_FREQ 12
    TRAINER.COOP.PREC fp32 TRAINER.FEATURE_CACHE.DIR "$DEMO_DIR/feature_cache"
    TRAINER.ZSCLIP.TEMPLATE "a photo of a {}."
    OPTIM.MAX_EPOCH "$EPOCHS" OPTIM.LR "$LR"
)
CONFIG_PATH=configs/trainers/CoOp/vit_b16.yaml

# base_to_novel TRAINER [train.py options...]: train on base classes, evaluate the last epoch on new ones.
base_to_novel() {
    local train_dir=$RUNS/$1/seed$SEED
    TRAINER=$1
    shift
    OPTS=("${DEMO_OPTS[@]}" "$@")
    train_py "$train_dir" "$DATASET" base "$SEED"
    train_py "$train_dir/evaluation" "$DATASET" new "$SEED" --eval-only --model-dir "$train_dir" --load-epoch "$EPOCHS"
}

for SEED in "${SEEDS[@]}"; do
    # Step 2: zero-shot CLIP on each half.
    TRAINER=ZeroshotCLIP
    OPTS=("${DEMO_OPTS[@]}")
    for split in base new; do
        train_py "$RUNS/ZeroshotCLIP/$split/seed$SEED" "$DATASET" "$split" "$SEED" --eval-only
    done

    # Step 3: CoOp, and CoOp+ATPrompt anchored on the world's attribute words, which the captions use
    # ("its color is red", "the color and shape of ..."); lengths as the real CoOp+ATP table (NCTX 2).
    base_to_novel CoOp TRAINER.COOP.N_CTX 4
    base_to_novel CoOp_ATP TRAINER.COOP.N_CTX 2 TRAINER.ATPROMPT.USE_ATPROMPT True TRAINER.ATPROMPT.ATT_NUM 3 \
        TRAINER.ATPROMPT.ATT1_TEXT color TRAINER.ATPROMPT.ATT2_TEXT texture TRAINER.ATPROMPT.ATT3_TEXT shape \
        TRAINER.ATPROMPT.N_ATT1 2 TRAINER.ATPROMPT.N_ATT2 2 TRAINER.ATPROMPT.N_ATT3 2

    # Step 4: AnchorOPT stage I: the anchor of "X of {class}." fitted to the attribute descriptions
    # (outside runs/, it is not a method row).
    ANCHOR_DIR=$DEMO_DIR/anchor/seed$SEED
    TRAINER=CoOp_Pretrain_Anchor
    OPTS=("${DEMO_OPTS[@]}" TRAINER.ANCHOROPT.ANCHOR_MSE_WEIGHT 1000.0
          TRAINER.ANCHOROPT.DESCRIPTIONS_FILE "$DEMO_DIR/procedural_world/descriptions.json")
    train_py "$ANCHOR_DIR" "$DATASET" base "$SEED"
    train_py "$ANCHOR_DIR/evaluation" "$DATASET" new "$SEED" --eval-only --model-dir "$ANCHOR_DIR" --load-epoch "$EPOCHS"

    # Step 5: AnchorOPT stage II on CoOp with that anchor: KD/CE = 10 and T = 2 as Caltech101's row, CE at
    # CoOp's step size. Pooled at the real EOS (upstream reads the "." before it, which only a large CLIP
    # tolerates) and with noise-free positions at test (deterministic).
    base_to_novel CoOp_AnchorOPT TRAINER.ANCHOROPT.N_CTX 4 \
        TRAINER.ANCHOROPT.PROMPT_CE_WEIGHT 1.0 TRAINER.ANCHOROPT.KD_WEIGHT 10.0 TRAINER.ANCHOROPT.KD_TEMPERATURE 2.0 \
        TRAINER.ANCHOROPT.POOL_INDEX eos TRAINER.ANCHOROPT.TEST_POSITION argmax \
        TRAINER.ANCHOROPT.ANCHOR_PATH "$ANCHOR_DIR/anchor_prompt_learner/model.pth.tar-$EPOCHS"
done

# Step 6: the table and the chart (Base, Novel, HM).
"$PYTHON" -m scripts.demo.report "$RUNS" "$DEMO_DIR/anchor" --seeds "${SEEDS[@]}" --markdown "$DEMO_DIR/results.md" \
    --plot "$DEMO_DIR/base_novel_hm.png"
echo "Chart: $DEMO_DIR/base_novel_hm.png; table: $DEMO_DIR/results.md; demo wall time: $(( SECONDS - STARTED )) s"
echo "CPU time (user, sys) of this shell, then of the demo's processes:"
times
