# Shared logic of the experiment scripts: sourced by scripts/<method>/*.sh and scripts/base2new.sh.
#
# Environment:
#   DATA         dataset root (required; the folder holding caltech-101/, dtd/, imagenet/, ...)
#   OUTPUT_ROOT  where runs go, relative to the repository root (default: output)
#   PYTHON       interpreter (default: python)
#   DRY_RUN=1    print the commands instead of running them
#   SETTINGS_FILE  settings file to use instead of the trainer's default one
#   BACKBONE     CLIP weights for every run (train.py --backbone): a model name or a local checkpoint file
#   EXTRA_OPTS   train.py KEY VALUE options appended to every call, last so they win (quotes group words).
#                OPTIM.MAX_EPOCH and DATASET.NUM_SHOTS given here also replace the settings' EPOCHS and
#                SHOTS, so folder names, --load-epoch and the finished-run check follow them.
#
# A trainer's settings live in one file, scripts/<method>/<Trainer>.conf (or *_<Trainer>.conf), or
# configs/<plug-in>/<Trainer>.conf for the ATPrompt and AnchorOPT trainers:
# `KEY=value` lines, `#` comments. `<scope>.KEY=value` overrides KEY for one dataset config stem
# (e.g. `imagenet.EPOCHS=50`) or for the cross-dataset protocol (`xd.EPOCHS=5`). `{KEY}` in a value
# is replaced by that key's value in the same scope. Keys read here: CONFIG_DIR, CONFIG, SHOTS,
# EPOCHS, OPTS (extra train.py options; quotes group words), VARIANT (output sub-folder) and
# TRAINING_FREE=1 for trainers that only evaluate.

set -euo pipefail

SCRIPTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO_ROOT=$(dirname "$SCRIPTS_DIR")
PYTHON=${PYTHON:-python}
OUTPUT_ROOT=${OUTPUT_ROOT:-output}
DEFAULT_SEEDS=(1 2 3)
BASE_TO_NOVEL_DATASETS=(imagenet caltech101 oxford_pets stanford_cars oxford_flowers food101 fgvc_aircraft sun397 dtd eurosat ucf101)
XD_SOURCE=imagenet
XD_TARGETS=(caltech101 oxford_pets stanford_cars oxford_flowers food101 fgvc_aircraft sun397 dtd eurosat ucf101)
DG_TARGETS=(imagenetv2 imagenet_sketch imagenet_a imagenet_r)
XD_SCOPE=xd
# EXTRA_OPTS keys that stand for a settings key (folder names and --load-epoch must follow them).
declare -A SETTING_OF_OPTION=([OPTIM.MAX_EPOCH]=EPOCHS [DATASET.NUM_SHOTS]=SHOTS)

die() {
    echo "error: $*" >&2
    exit 1
}

is_dry_run() {
    [[ -n "${DRY_RUN:-}" && "${DRY_RUN}" != 0 ]]
}

# Resolve DATA (and a BACKBONE file) to absolute paths before we change directory.
require_data_root() {
    [[ -n "${DATA:-}" ]] || die "DATA is not set: export DATA=/path/to/datasets (the folder holding caltech-101/, dtd/, imagenet/, ...)"
    DATA=$(realpath -m -- "$DATA")
    require_backbone
    read_extra_opts
    cd "$REPO_ROOT"
}

# require_backbone: BACKBONE is empty, a CLIP model name (RN50, ViT-B/16, ...) or an existing file (made absolute).
require_backbone() {
    [[ -n "${BACKBONE:-}" && ! $BACKBONE =~ ^(RN|ViT-) ]] || return 0
    [[ -f $BACKBONE ]] || die "BACKBONE file not found: $BACKBONE (give a CLIP model name such as ViT-B/16 or a checkpoint file)"
    BACKBONE=$(realpath -- "$BACKBONE")
}

# read_extra_opts: the EXTRA_OPTS array, and SETTING_OVERRIDES for the keys of SETTING_OF_OPTION in it.
read_extra_opts() {
    local index option
    mapfile -t EXTRA_OPTS_WORDS < <(printf '%s' "${EXTRA_OPTS:-}" | xargs -r printf '%s\n')
    (( ${#EXTRA_OPTS_WORDS[@]} % 2 == 0 )) || die "EXTRA_OPTS must be KEY VALUE pairs, got: ${EXTRA_OPTS}"
    declare -gA SETTING_OVERRIDES=()
    for (( index = 0; index < ${#EXTRA_OPTS_WORDS[@]}; index += 2 )); do
        option=${EXTRA_OPTS_WORDS[index]}
        [[ ! -v "SETTING_OF_OPTION[$option]" ]] || SETTING_OVERRIDES[${SETTING_OF_OPTION[$option]}]=${EXTRA_OPTS_WORDS[index + 1]}
    done
}

# use_trainer TRAINER: select the trainer and read its settings file for the calls below.
use_trainer() {
    TRAINER=$1
    if [[ -n "${SETTINGS_FILE:-}" ]]; then
        SETTINGS=$(realpath -m -- "$SETTINGS_FILE")
        [[ -f "$SETTINGS" ]] || die "SETTINGS_FILE not found: $SETTINGS_FILE"
    else
        local matches=()
        shopt -s nullglob
        matches=("$SCRIPTS_DIR"/*/"$TRAINER".conf "$SCRIPTS_DIR"/*/*_"$TRAINER".conf "$REPO_ROOT"/configs/*/"$TRAINER".conf)
        shopt -u nullglob
        (( ${#matches[@]} == 1 )) || die "need exactly one settings file scripts/<method>/$TRAINER.conf or configs/<plug-in>/$TRAINER.conf for trainer $TRAINER, found ${#matches[@]}${matches[*]:+: ${matches[*]}} (or set SETTINGS_FILE)"
        SETTINGS=${matches[0]}
    fi
    read_settings "$SETTINGS"
}

# read_settings FILE: SETTING_VALUES[KEY]=value for every `KEY=value` line (later lines win).
read_settings() {
    local line
    declare -gA SETTING_VALUES=()
    while IFS= read -r line || [[ -n $line ]]; do
        [[ $line =~ ^[[:space:]]*(#|$) ]] && continue
        [[ $line =~ ^[A-Za-z0-9_.]+= ]] || die "$1: '$line' is not a KEY=value line"
        SETTING_VALUES[${line%%=*}]=${line#*=}
    done < "$1"
}

_raw_setting() {
    [[ -v "SETTING_VALUES[$1]" ]] || return 1
    printf '%s' "${SETTING_VALUES[$1]}"
}

# setting KEY SCOPE [DEFAULT]: the EXTRA_OPTS override, else the scoped value, else the plain one, else
# DEFAULT, else an error.
setting() {
    local key=$1 scope=$2 value name replacement placeholder='\{([A-Z0-9_]+)\}'
    if [[ -v "SETTING_OVERRIDES[$key]" ]]; then
        value=${SETTING_OVERRIDES[$key]}
    elif ! value=$(_raw_setting "$scope.$key") && ! value=$(_raw_setting "$key"); then
        (( $# >= 3 )) || die "$SETTINGS: no '$key=' line (add it, or '$scope.$key=' for this dataset)"
        value=$3
    fi
    while [[ $value =~ $placeholder ]]; do
        name=${BASH_REMATCH[1]}
        [[ $name != "$key" ]] || die "$SETTINGS: $key refers to itself"
        replacement=$(setting "$name" "$scope") || exit 1
        value=${value//\{$name\}/$replacement}
    done
    printf '%s' "$value"
}

# load_settings SCOPE: set CONFIG_PATH, SHOTS, EPOCHS, VARIANT and the OPTS array for a dataset or xd.
load_settings() {
    local scope=$1 config_dir config opts_text
    config_dir=$(setting CONFIG_DIR "$scope" "$TRAINER")
    config=$(setting CONFIG "$scope")
    CONFIG_NAME=$config
    CONFIG_PATH=configs/trainers/$config_dir/$config.yaml
    TRAINING_FREE=$(setting TRAINING_FREE "$scope" 0)
    if [[ $TRAINING_FREE == 1 ]]; then
        SHOTS=0 EPOCHS=0 VARIANT=""
    else
        SHOTS=$(setting SHOTS "$scope")
        EPOCHS=$(setting EPOCHS "$scope")
        VARIANT=$(setting VARIANT "$scope")
    fi
    opts_text=$(setting OPTS "$scope" "")
    mapfile -t OPTS < <(printf '%s' "$opts_text" | xargs -r printf '%s\n')
}

dataset_config_path() {
    printf 'configs/datasets/%s.yaml' "$1"
}

# Finished = some log of the run has an accuracy after "Evaluate on the *test* set".
run_finished() {
    local log
    for log in "$1"/log.txt "$1"/log.txt-*; do
        [[ -f "$log" ]] || continue
        awk '$0 == "Evaluate on the *test* set" {t = 1} $0 == "Evaluate on the *val* set" {t = 0}
             t && /^\* accuracy: / {found = 1} END {exit !found}' "$log" && return 0
    done
    return 1
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

# train_py OUTPUT_DIR DATASET SUBSAMPLE [SEED] [extra train.py arguments...]: one train.py call, skipped if finished.
train_py() {
    local output_dir=$1 dataset=$2 subsample=$3 seed=$4
    shift 4
    if run_finished "$output_dir"; then
        echo "skip (finished): $output_dir"
        return 0
    fi
    local dataset_config seed_args=() backbone_args=()
    dataset_config=$(dataset_config_path "$dataset")
    _require_files "$CONFIG_PATH" "$dataset_config"
    [[ -z "$seed" ]] || seed_args=(--seed "$seed")
    [[ -z "${BACKBONE:-}" ]] || backbone_args=(--backbone "$BACKBONE")
    run_command "$PYTHON" train.py --root "$DATA" "${seed_args[@]}" --trainer "$TRAINER" \
        --dataset-config-file "$dataset_config" --config-file "$CONFIG_PATH" --output-dir "$output_dir" \
        "${backbone_args[@]}" "$@" "${OPTS[@]}" DATASET.NUM_SHOTS "$SHOTS" DATASET.SUBSAMPLE_CLASSES "$subsample" \
        "${EXTRA_OPTS_WORDS[@]}"
}

# Output folders: the original scripts' names, with every varied setting defined.
base_to_novel_train_dir() {
    printf '%s/%s/%s/%s_%sshots/%s/seed%s' "$OUTPUT_ROOT" "$1" "$TRAINER" "$CONFIG_NAME" "$SHOTS" "$VARIANT" "$2"
}

xd_train_dir() {
    printf '%s/%s/%s/%s_%sshots_few_shots/%s/seed%s' "$OUTPUT_ROOT" "$XD_SOURCE" "$TRAINER" "$CONFIG_NAME" "$SHOTS" "$VARIANT" "$1"
}

xd_eval_dir() {
    printf '%s/evaluation/%s/%s_%sshots/%s/%s/seed%s' "$OUTPUT_ROOT" "$TRAINER" "$CONFIG_NAME" "$SHOTS" "$VARIANT" "$1" "$2"
}

zero_shot_dir() {
    local suffix=""
    [[ $2 == all ]] || suffix=_$2
    printf '%s/%s/%s/%s/test%s' "$OUTPUT_ROOT" "$TRAINER" "$CONFIG_NAME" "$1" "$suffix"
}

require_trained() {
    is_dry_run || run_finished "$1" || die "no finished training run in $1: run the matching train script first"
}

# parse_seeds SEED...: SEEDS=(given seeds, or 1 2 3); rejects anything but integers.
parse_seeds() {
    SEEDS=("$@")
    (( ${#SEEDS[@]} > 0 )) || SEEDS=("${DEFAULT_SEEDS[@]}")
    local seed
    for seed in "${SEEDS[@]}"; do
        [[ $seed =~ ^[0-9]+$ ]] || die "seed must be a non-negative integer, got '$seed'"
    done
}

require_dataset() {
    [[ -n "${1:-}" ]] || die "missing dataset argument (a config stem such as dtd; see configs/datasets/)"
    [[ $1 =~ ^[a-z0-9_]+$ ]] || die "dataset must be a config stem such as dtd or oxford_pets, got '$1'"
}

require_trainable() {
    [[ $TRAINING_FREE != 1 ]] || die "$TRAINER only evaluates: use scripts/zsclip/zeroshot.sh"
}

# --- protocol steps -----------------------------------------------------------------------------

base_to_novel_train() {
    local dataset=$1 seed=$2
    load_settings "$dataset"
    require_trainable
    train_py "$(base_to_novel_train_dir "$dataset" "$seed")" "$dataset" base "$seed" OPTIM.MAX_EPOCH "$EPOCHS"
}

base_to_novel_test() {
    local dataset=$1 seed=$2 train_dir
    load_settings "$dataset"
    require_trainable
    train_dir=$(base_to_novel_train_dir "$dataset" "$seed")
    require_trained "$train_dir"
    train_py "$train_dir/evaluation" "$dataset" new "$seed" \
        --eval-only --model-dir "$train_dir" --load-epoch "$EPOCHS"
}

xd_train() {
    local seed=$1
    load_settings "$XD_SCOPE"
    require_trainable
    train_py "$(xd_train_dir "$seed")" "$XD_SOURCE" all "$seed" OPTIM.MAX_EPOCH "$EPOCHS"
}

xd_test() {
    local target=$1 seed=$2 train_dir
    load_settings "$XD_SCOPE"
    require_trainable
    train_dir=$(xd_train_dir "$seed")
    require_trained "$train_dir"
    train_py "$(xd_eval_dir "$target" "$seed")" "$target" all "$seed" \
        --eval-only --model-dir "$train_dir" --load-epoch "$EPOCHS"
}

zero_shot() {
    local dataset=$1 split=$2
    load_settings "$dataset"
    [[ $split =~ ^(base|new|all)$ ]] || die "split must be base, new or all, got '$split'"
    train_py "$(zero_shot_dir "$dataset" "$split")" "$dataset" "$split" "" --eval-only
}

print_table() {
    local seed_args=()
    (( $# == 0 )) || seed_args=(--seeds "$@")
    run_command "$PYTHON" parse_test_res.py "$OUTPUT_ROOT" --table --trainer "$TRAINER" "${seed_args[@]}"
}

# --- entry points of the per-method scripts ---------------------------------------------------

# per_dataset_seed STEP TRAINER DATASET [SEED...]: runs `STEP DATASET SEED` for every seed.
per_dataset_seed() {
    local step=$1
    use_trainer "$2"
    require_dataset "${3:-}"
    local dataset=$3 seed
    parse_seeds "${@:4}"
    require_data_root
    for seed in "${SEEDS[@]}"; do
        "$step" "$dataset" "$seed"
    done
}

main_base_to_novel_train() { per_dataset_seed base_to_novel_train "$@"; }

main_base_to_novel_test() { per_dataset_seed base_to_novel_test "$@"; }

main_xd_train() {
    use_trainer "$1"
    local seed
    parse_seeds "${@:2}"
    require_data_root
    for seed in "${SEEDS[@]}"; do
        xd_train "$seed"
    done
}

# main_xd_test TRAINER TARGET|xd|dg|all [SEED...]: xd = the 10 cross-dataset targets, dg = the ImageNet variants.
main_xd_test() {
    use_trainer "$1"
    require_dataset "${2:-}"
    local targets=("$2") target seed
    case $2 in
        xd) targets=("${XD_TARGETS[@]}") ;;
        dg) targets=("${DG_TARGETS[@]}") ;;
        all) targets=("${XD_TARGETS[@]}" "${DG_TARGETS[@]}") ;;
    esac
    parse_seeds "${@:3}"
    require_data_root
    for target in "${targets[@]}"; do
        for seed in "${SEEDS[@]}"; do
            xd_test "$target" "$seed"
        done
    done
}

# main_zero_shot TRAINER DATASET [SPLIT...]: splits default to base and new.
main_zero_shot() {
    use_trainer "$1"
    require_dataset "${2:-}"
    local dataset=$2 splits=("${@:3}") split
    (( ${#splits[@]} > 0 )) || splits=(base new)
    require_data_root
    for split in "${splits[@]}"; do
        zero_shot "$dataset" "$split"
    done
}
