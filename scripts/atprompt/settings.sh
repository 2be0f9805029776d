# Sourced by the ATPrompt scripts: points scripts/common.sh at configs/atprompt/<Trainer>.conf (unless
# SETTINGS_FILE is set) and applies attribute overrides from the environment:
#   training (use_atprompt_settings TRAINER):
#     ATTRIBUTES_FILE=<search run>/attribute_search.json   train with the search's winner
#     ATTRIBUTES=shape,size                                train with these words
#   search (use_search_settings):
#     BASES_FILE=attributes.json                           search over the LLM query's bases
# Overridden runs get the words in their folder name, next to the table-attribute runs.
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"

# _settings_with_override CONF [attribute_settings.py arguments]: CONF, plus the printed lines if any.
_settings_with_override() {
    local base=${SETTINGS_FILE:-$1} lines
    shift
    if (( $# == 0 )); then
        SETTINGS_FILE=$base
        return
    fi
    lines=$(cd "$REPO_ROOT" && "$PYTHON" -m scripts.atprompt.attribute_settings "$@") || exit 1
    ATPROMPT_SETTINGS=$(mktemp "${TMPDIR:-/tmp}/atprompt-settings.XXXXXX")
    trap 'rm -f "$ATPROMPT_SETTINGS"' EXIT
    { cat "$base"; printf '%s\n' "$lines"; } > "$ATPROMPT_SETTINGS"
    SETTINGS_FILE=$ATPROMPT_SETTINGS
}

use_atprompt_settings() {
    local args=()
    if [[ -n "${ATTRIBUTES_FILE:-}" ]]; then
        args=(--file "$(realpath -m -- "$ATTRIBUTES_FILE")")
    elif [[ -n "${ATTRIBUTES:-}" ]]; then
        args=(--words "$ATTRIBUTES")
    fi
    _settings_with_override "$REPO_ROOT/configs/atprompt/$1.conf" "${args[@]}"
}

use_search_settings() {
    local args=()
    [[ -z "${BASES_FILE:-}" ]] || args=(--bases --file "$(realpath -m -- "$BASES_FILE")")
    _settings_with_override "$REPO_ROOT/configs/atprompt/AttributeCompute.conf" "${args[@]}"
}
