# Sourced by the AnchorOPT scripts: use_anchoropt_settings TRAINER points scripts/common.sh at
# configs/anchoropt/TRAINER.conf (per-dataset hyper-parameters) unless SETTINGS_FILE is already set.
source "$(dirname "${BASH_SOURCE[0]}")/../common.sh"

use_anchoropt_settings() {
    SETTINGS_FILE=${SETTINGS_FILE:-$REPO_ROOT/configs/anchoropt/$1.conf}
}
