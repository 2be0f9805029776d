# Shared helpers of the bash entry points: sourced by scripts/<method>/*.sh, scripts/base2new.sh, scripts/demo.sh.
#
# The protocol scripts are thin wrappers over the Python launcher (scripts/launch/, settings in
# configs/runs/<Trainer>.yaml): `launch_step STEP TRAINER ARGS...` runs python -m scripts.launch.shell.
# Environment (read by the launcher):
#   DATA         dataset root (required; the folder holding caltech-101/, dtd/, imagenet/, ...)
#   OUTPUT_ROOT  where runs go, relative to the repository root (default: output)
#   PYTHON       interpreter (default: python)
#   DRY_RUN=1    print the commands instead of running them
#   SETTINGS_FILE  a settings YAML file to use instead of configs/runs/<Trainer>.yaml
#   BACKBONE     CLIP weights for every run (train.py --backbone): a model name or a local checkpoint file
#   EXTRA_OPTS   train.py KEY VALUE options appended to every call, last so they win (quotes group words).
#                OPTIM.MAX_EPOCH and DATASET.NUM_SHOTS given here also replace the settings' epochs and
#                shots, so folder names, --load-epoch and the finished-run check follow them.

set -euo pipefail

SCRIPTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(dirname "$SCRIPTS_DIR")
PYTHON=${PYTHON:-python}
OUTPUT_ROOT=${OUTPUT_ROOT:-output}

# launch_step STEP TRAINER ARGS...: one protocol step through the launcher (see scripts/launch/shell.py).
launch_step() {
    PYTHONPATH="$REPO_ROOT${PYTHONPATH:+:$PYTHONPATH}" exec "$PYTHON" -m scripts.launch.shell "$@"
}

die() {
    echo "error: $*" >&2
    exit 1
}

is_dry_run() {
    [[ -n "${DRY_RUN:-}" && "${DRY_RUN}" != 0 ]]
}

# run_finished DIR: the launcher's finished-run check (scripts/launch/runs.py run_finished), one rule for both.
run_finished() {
    PYTHONPATH="$REPO_ROOT${PYTHONPATH:+:$PYTHONPATH}" "$PYTHON" -c \
        'import sys; from scripts.launch.runs import run_finished; sys.exit(not run_finished(sys.argv[1]))' "$1"
}

run_command() {
    if is_dry_run; then
        printf '%q ' "$@" | sed 's/ $//'
        echo
    else
        "$@"
    fi
}

_require_files() {
    is_dry_run && return 0
    local path
    for path in "$@"; do
        [[ -f "$path" ]] || die "config file not found: $REPO_ROOT/$path"
    done
}

# train_py OUTPUT_DIR DATASET SUBSAMPLE [SEED] [extra train.py arguments...]: one train.py call of TRAINER with
# CONFIG_PATH, OPTS and SHOTS, skipped if finished (the demo's runner; the protocol scripts use the launcher).
train_py() {
    local output_dir=$1 dataset=$2 subsample=$3 seed=$4
    shift 4
    if run_finished "$output_dir"; then
        echo "skip (finished): $output_dir"
        return 0
    fi
    local dataset_config seed_args=() backbone_args=()
    dataset_config=configs/datasets/$dataset.yaml
    _require_files "$CONFIG_PATH" "$dataset_config"
    [[ -z "$seed" ]] || seed_args=(--seed "$seed")
    [[ -z "${BACKBONE:-}" ]] || backbone_args=(--backbone "$BACKBONE")
    run_command "$PYTHON" train.py --root "$DATA" "${seed_args[@]}" --trainer "$TRAINER" \
        --dataset-config-file "$dataset_config" --config-file "$CONFIG_PATH" --output-dir "$output_dir" \
        "${backbone_args[@]}" "$@" "${OPTS[@]}" DATASET.NUM_SHOTS "$SHOTS" DATASET.SUBSAMPLE_CLASSES "$subsample"
}

# parse_seeds SEED...: SEEDS=(given seeds, or 1 2 3); rejects anything but integers.
parse_seeds() {
    SEEDS=("$@")
    (( ${#SEEDS[@]} > 0 )) || SEEDS=(1 2 3)
    local seed
    for seed in "${SEEDS[@]}"; do
        [[ $seed =~ ^[0-9]+$ ]] || die "seed must be a non-negative integer, got '$seed'"
    done
}
