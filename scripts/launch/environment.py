"""The scripts' environment variables, read once: DATA, OUTPUT_ROOT, PYTHON, BACKBONE, EXTRA_OPTS, SETTINGS_FILE,
DRY_RUN and the ATPrompt attribute overrides (ATTRIBUTES, ATTRIBUTES_FILE, BASES_FILE)."""
import os
import re
import shlex

from scripts.atprompt.attribute_settings import AttributeWordsError, override_from_environment
from scripts.launch.runs import Launch
from scripts.launch.settings import REPO_ROOT, SettingsError, load_trainer, setting_overrides

CLIP_MODEL_NAME = re.compile(r"^(RN|ViT-)")


def is_dry_run(env):
    return env.get("DRY_RUN", "") not in ("", "0")


def read_extra_opts(env):
    text = env.get("EXTRA_OPTS", "")
    try:
        words = tuple(shlex.split(text))
    except ValueError as error:
        raise SettingsError(f"EXTRA_OPTS is not valid shell words ({error}): {text}") from None
    if len(words) % 2:
        raise SettingsError(f"EXTRA_OPTS must be KEY VALUE pairs, got: {text}")
    return words


def read_backbone(env):
    """BACKBONE: empty, a CLIP model name (RN50, ViT-B/16, ...) or an existing file (made absolute)."""
    backbone = env.get("BACKBONE", "")
    if not backbone or CLIP_MODEL_NAME.match(backbone):
        return backbone
    if not os.path.isfile(backbone):
        raise SettingsError(f"BACKBONE file not found: {backbone} (give a CLIP model name such as ViT-B/16 "
                            "or a checkpoint file)")
    return os.path.realpath(backbone)


def launch_from_environment(env, data=None, run_opts=()):
    """The Launch of the scripts; DATA (or `data`) and BACKBONE absolute;
    call before leaving the caller's folder."""
    data = data or env.get("DATA", "")
    if not data:
        raise SettingsError("DATA is not set: export DATA=/path/to/datasets "
                            "(the folder holding caltech-101/, dtd/, imagenet/, ...)")
    return Launch(data=os.path.realpath(data), output_root=env.get("OUTPUT_ROOT") or "output",
                  python=env.get("PYTHON") or "python", backbone=read_backbone(env),
                  extra_opts=read_extra_opts(env), run_opts=tuple(run_opts))


class SettingsResolver:
    """RunSettings of (trainer, dataset or xd) under this environment: SETTINGS_FILE, EXTRA_OPTS, attributes."""

    def __init__(self, env, extra_opts):
        self.env = env
        self.overrides = setting_overrides(extra_opts)
        self.trainers = {}

    def trainer(self, name):
        if name not in self.trainers:
            self.trainers[name] = load_trainer(name, self.env.get("SETTINGS_FILE"))
        return self.trainers[name]

    def __call__(self, name, scope):
        settings = self.trainer(name)
        try:
            opts, tag = override_from_environment(settings.attributes, self.env)
        except AttributeWordsError as error:
            raise SettingsError(str(error)) from None
        return settings.resolve(scope, self.overrides, opts, tag)


def enter_repository():
    """Runs are named relative to the repository root, as train.py sees them."""
    os.chdir(REPO_ROOT)
