"""A trainer's run settings: configs/runs/<Trainer>.yaml, merged for one dataset or the cross-dataset protocol.

Keys of a settings file (plain YAML, see configs/runs/CoOp.yaml):
  config         configs/trainers/<config>.yaml, e.g. CoOp/vit_b16
  shots, epochs  DATASET.NUM_SHOTS and OPTIM.MAX_EPOCH of the runs (also in the folder names)
  opts           train.py KEY VALUE options, in order; null = must be set for each dataset
  variant        output sub-folder; {KEY} stands for one of the run's opts, {epochs} / {shots} for its schedule
  training_free  true for trainers that only evaluate (no shots, epochs, variant or seed)
  attributes     train / search: ATTRIBUTES, ATTRIBUTES_FILE or BASES_FILE change the words (ATPrompt)
  anchor_from    the stage-I trainer whose run of the same dataset and seed gives this trainer its anchor
                 (TRAINER.ANCHOROPT.ANCHOR_PATH) when both are in one base2new sweep (AnchorOPT stage II)
  datasets       {<dataset config stem>: {...}}: the keys above for one dataset
  xd             {...}: the keys above for the cross-dataset / domain-generalisation protocol
A scope's `opts` replace the top-level values key by key (yacs KEY VALUE semantics); other keys replace.
"""
import glob
import os
import re
from dataclasses import dataclass

import yaml

REPO_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUNS_DIR = os.path.join("configs", "runs")
XD_SCOPE = "xd"
SCOPED_KEYS = ("config", "shots", "epochs", "opts", "variant")
FILE_KEYS = SCOPED_KEYS + ("training_free", "attributes", "anchor_from", "datasets", XD_SCOPE)
ATTRIBUTE_MODES = ("train", "search")
# EXTRA_OPTS keys that replace a setting (folder names and --load-epoch follow them).
SETTING_OF_OPTION = {"OPTIM.MAX_EPOCH": "epochs", "DATASET.NUM_SHOTS": "shots"}
PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.]+)\}")


class SettingsError(ValueError):
    """A bad settings file or name; the message is one line naming the file or key and the fix."""


def stems(folder):
    return sorted(os.path.splitext(os.path.basename(path))[0]
                  for path in glob.glob(os.path.join(REPO_ROOT, folder, "*.yaml")))


def known_trainers():
    return stems(RUNS_DIR)


def known_datasets():
    return stems(os.path.join("configs", "datasets"))


def check_choice(kind, value, choices):
    if value not in choices:
        raise SettingsError(f"unknown {kind} '{value}' (valid: {', '.join(choices)})")
    return value


def option_text(value):
    """A YAML scalar as train.py receives it: True -> 'True', 1.0 -> '1.0'."""
    return str(value)


@dataclass(frozen=True)
class RunSettings:
    """What one train.py call of a trainer on one dataset (or the xd protocol) needs."""
    trainer: str
    config: str
    shots: str
    epochs: str
    opts: tuple
    variant: str
    training_free: bool

    @property
    def config_path(self):
        return f"configs/trainers/{self.config}.yaml"

    @property
    def config_name(self):
        return os.path.basename(self.config)


@dataclass(frozen=True)
class TrainerSettings:
    """One settings file, read and checked."""
    trainer: str
    path: str
    content: dict

    @property
    def attributes(self):
        return self.content.get("attributes")

    @property
    def anchor_from(self):
        return self.content.get("anchor_from")

    @property
    def training_free(self):
        return bool(self.content.get("training_free", False))

    def scope(self, dataset):
        """The merged keys for a dataset stem or XD_SCOPE."""
        merged = {key: self.content[key] for key in SCOPED_KEYS if key in self.content}
        merged["opts"] = dict(self.content.get("opts") or {})
        override = (self.content.get(XD_SCOPE) if dataset == XD_SCOPE
                    else (self.content.get("datasets") or {}).get(dataset)) or {}
        for key, value in override.items():
            if key == "opts":
                merged["opts"].update(value or {})
            else:
                merged[key] = value
        return merged

    def resolve(self, dataset, overrides=None, extra_opts=(), variant_suffix=""):
        """RunSettings for `dataset` (a stem or XD_SCOPE); `overrides` replace shots / epochs."""
        where = f"datasets.{dataset}" if dataset != XD_SCOPE else XD_SCOPE
        merged = self.scope(dataset)
        if "config" not in merged:
            raise SettingsError(f"{self.path}: no 'config' (add it, e.g. config: CoOp/vit_b16)")
        missing = [key for key, value in merged["opts"].items() if value is None]
        if missing:
            raise SettingsError(f"{self.path}: no value of {', '.join(missing)} for {dataset} "
                                f"(add it under {where}.opts)")
        opts = {key: option_text(value) for key, value in merged["opts"].items()}
        if self.training_free:
            return RunSettings(self.trainer, merged["config"], "0", "0", self._flat(opts, extra_opts), "", True)
        values = {}
        for key in ("shots", "epochs", "variant"):
            if key not in merged:
                raise SettingsError(f"{self.path}: no '{key}' for {dataset} (add it, or under {where})")
            values[key] = option_text(merged[key])
        values.update(overrides or {})
        variant = self._variant(values["variant"], {**opts, "epochs": values["epochs"], "shots": values["shots"]})
        return RunSettings(self.trainer, merged["config"], values["shots"], values["epochs"],
                           self._flat(opts, extra_opts), variant + variant_suffix, False)

    @staticmethod
    def _flat(opts, extra_opts):
        return tuple(word for pair in opts.items() for word in pair) + tuple(extra_opts)

    def _variant(self, template, values):
        def value_of(match):
            name = match.group(1)
            if name not in values:
                raise SettingsError(f"{self.path}: variant names {{{name}}}, which is not one of its opts "
                                    f"(valid: epochs, shots, {', '.join(key for key in values if '.' in key)})")
            return values[name]

        return PLACEHOLDER.sub(value_of, template)


def settings_path(trainer):
    return os.path.join(RUNS_DIR, f"{trainer}.yaml")


def load_trainer(trainer, settings_file=None):
    """The settings of `trainer`: configs/runs/<trainer>.yaml, or `settings_file` when given."""
    if settings_file:
        path = os.path.abspath(settings_file)
        if not os.path.isfile(path):
            raise SettingsError(f"SETTINGS_FILE not found: {settings_file}")
    else:
        check_choice("trainer", trainer, known_trainers())
        path = settings_path(trainer)
    try:
        with open(os.path.join(REPO_ROOT, path), encoding="utf-8") as f:
            content = yaml.safe_load(f) or {}
    except yaml.YAMLError as error:
        raise SettingsError(f"{path}: not valid YAML ({' '.join(str(error).split())})") from None
    check_content(path, content)
    return TrainerSettings(trainer, path, content)


def check_content(path, content):
    """Reject unknown keys, datasets and attribute modes with the valid choices."""
    if not isinstance(content, dict):
        raise SettingsError(f"{path}: expected a mapping of settings keys (see configs/runs/CoOp.yaml)")
    for key in content:
        if key not in FILE_KEYS:
            raise SettingsError(f"{path}: unknown key '{key}' (valid: {', '.join(FILE_KEYS)})")
    datasets = known_datasets()
    scopes = {f"datasets.{name}": value for name, value in (content.get("datasets") or {}).items()}
    scopes[XD_SCOPE] = content.get(XD_SCOPE) or {}
    for scope, value in scopes.items():
        name = scope.split(".", 1)[-1]
        if scope != XD_SCOPE and name not in datasets:
            raise SettingsError(f"{path}: unknown dataset '{name}' under datasets (valid: {', '.join(datasets)})")
        for key in value or {}:
            if key not in SCOPED_KEYS:
                raise SettingsError(f"{path}: unknown key '{scope}.{key}' (valid: {', '.join(SCOPED_KEYS)})")
    if content.get("attributes") not in (None, *ATTRIBUTE_MODES):
        raise SettingsError(f"{path}: attributes must be one of {', '.join(ATTRIBUTE_MODES)}")


def setting_overrides(extra_opts):
    """{'epochs': ..., 'shots': ...} for the EXTRA_OPTS keys that replace a setting (last one wins)."""
    overrides = {}
    for key, value in zip(extra_opts[::2], extra_opts[1::2]):
        if key in SETTING_OF_OPTION:
            overrides[SETTING_OF_OPTION[key]] = value
    return overrides
