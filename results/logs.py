"""Reading Dassl-format `log.txt` files (ours and the original code's: the format is the same).

Two readers: `last_metric_after_signal` reproduces the original `parse_test_res.py` rule exactly;
`read_run_log` extracts what a results table needs (who ran what, and the final test accuracy).
"""
import ast
import os
import re
from dataclasses import dataclass, field

from results.datasets import CONFIG_STEM_TO_NAME, paper_name

FINISH_TRAINING = "Finish training"
RESULT_START = "=> result"
TEST_START = "Evaluate on the *test* set"
VAL_START = "Evaluate on the *val* set"
LOG_NAME = "log.txt"

_ARGUMENTS_TITLE = "** Arguments **"
_CONFIG_TITLE = "** Config **"
_CONFIG_LINE = re.compile(r"^( *)([A-Z][A-Z0-9_]*):(?: (.*))?$")
_SEED_DIR = re.compile(r"^seed(-?\d+)$")


def metric_pattern(keyword):
    """The original tool's result-line regex; the keyword is deliberately not escaped (as upstream)."""
    return re.compile(r"\* " + keyword + r": ([\.\deE+-]+)%")


def last_metric_after_signal(lines, pattern, end_signal):
    """Value of the last `pattern` match after a line equal to `end_signal`, or None (upstream rule)."""
    value = None
    signal_seen = False
    for raw_line in lines:
        line = raw_line.strip()
        if line == end_signal:
            signal_seen = True
        match = pattern.search(line)
        if match and signal_seen:
            value = float(match.group(1))
    return value


def final_test_accuracy(lines):
    """Accuracy of the last result block that follows an `Evaluate on the *test* set` line.

    Val result blocks (best_val runs) are skipped, so an unfinished run reads as None.
    """
    accuracy_pattern = metric_pattern("accuracy")
    accuracy = None
    in_test = False
    for raw_line in lines:
        line = raw_line.strip()
        if line == TEST_START:
            in_test = True
        elif line == VAL_START:
            in_test = False
        elif in_test:
            match = accuracy_pattern.search(line)
            if match:
                accuracy = float(match.group(1))
    return accuracy


def _section_after(lines, title):
    """Lines after a `***` / title / `***` banner, or [] when the banner is absent."""
    for index, line in enumerate(lines):
        if line.strip() == title:
            return lines[index + 2:]
    return []


def parse_arguments_banner(lines):
    """`key: value` pairs of train.py's argument banner (values as printed, stripped)."""
    arguments = {}
    for line in _section_after(lines, _ARGUMENTS_TITLE):
        if line.startswith("*"):
            break
        key, separator, value = line.rstrip("\n").partition(":")
        if not separator:
            break
        arguments[key.strip()] = value.strip()
    return arguments


def parse_config_dump(lines):
    """Dotted keys of the yacs config dump (`DATASET.NAME` -> `DescribableTextures`), values as text."""
    config = {}
    section_path = []
    for line in _section_after(lines, _CONFIG_TITLE):
        match = _CONFIG_LINE.match(line.rstrip("\n"))
        if not match:
            break
        depth = len(match.group(1)) // 2
        section_path = section_path[:depth] + [match.group(2)]
        if match.group(3) is not None:
            config[".".join(section_path)] = match.group(3).strip()
    return config


def _opts_value(arguments, key):
    """Value given to `key` in the banner's `opts: [...]` list, or None."""
    try:
        opts = ast.literal_eval(arguments.get("opts", "[]"))
    except (ValueError, SyntaxError):
        return None
    for index in range(0, len(opts) - 1, 2):
        if opts[index] == key:
            return str(opts[index + 1])
    return None


@dataclass(frozen=True)
class RunLog:
    """One run as its log tells it. `test_accuracy` is None for a run that has not finished."""

    path: str
    trainer: str
    dataset: str
    seed: int
    subsample: str
    eval_only: bool
    output_dir: str
    model_dir: str
    test_accuracy: float | None
    arguments: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def finished(self):
        return self.test_accuracy is not None


def _path_seed(path):
    for part in reversed(os.path.normpath(path).split(os.sep)):
        match = _SEED_DIR.match(part)
        if match:
            return int(match.group(1))
    return None


def _path_dataset(path):
    for part in os.path.normpath(path).split(os.sep):
        if part in CONFIG_STEM_TO_NAME:
            return CONFIG_STEM_TO_NAME[part]
    return None


def _dataset_name(arguments, config, path):
    if config.get("DATASET.NAME"):
        return config["DATASET.NAME"]
    stem = os.path.splitext(os.path.basename(arguments.get("dataset_config_file", "")))[0]
    return CONFIG_STEM_TO_NAME.get(stem) or _path_dataset(path)


def _seed(arguments, config, path):
    for text in (arguments.get("seed"), config.get("SEED")):
        if text not in (None, "", "None"):
            return int(text)
    seed = _path_seed(path)
    return -1 if seed is None else seed


def read_run_log(path):
    """Parse one log file into a RunLog; raises ValueError naming the file if it is not a Dassl run log."""
    with open(path, encoding="utf-8", errors="replace") as handle:
        lines = handle.readlines()
    arguments = parse_arguments_banner(lines)
    config = parse_config_dump(lines)
    trainer = arguments.get("trainer") or config.get("TRAINER.NAME")
    dataset = _dataset_name(arguments, config, path)
    if not trainer or not dataset:
        raise ValueError(
            f"{path}: not a train.py log (no trainer/dataset in its argument banner or config dump); "
            "move it out of the results folder"
        )
    subsample = (config.get("DATASET.SUBSAMPLE_CLASSES")
                 or _opts_value(arguments, "DATASET.SUBSAMPLE_CLASSES") or "all")
    run_dir = os.path.dirname(path)
    return RunLog(
        path=path,
        trainer=trainer,
        dataset=paper_name(dataset),
        seed=_seed(arguments, config, path),
        subsample=subsample,
        eval_only=arguments.get("eval_only") == "True",
        output_dir=arguments.get("output_dir") or config.get("OUTPUT_DIR") or run_dir,
        model_dir=arguments.get("model_dir", ""),
        test_accuracy=final_test_accuracy(lines),
        arguments=arguments,
    )


def log_files_of_run(run_dir):
    """`log.txt` then the timestamped `log.txt-<time>` files a re-run writes beside it, oldest first."""
    names = os.listdir(run_dir)
    timestamped = sorted(name for name in names if name.startswith(LOG_NAME + "-"))
    first = [LOG_NAME] if LOG_NAME in names else []
    return [os.path.join(run_dir, name) for name in first + timestamped]


def read_run_dir(run_dir):
    """The run in `run_dir`, from its newest finished log (or its newest log when none finished)."""
    runs = [read_run_log(path) for path in log_files_of_run(run_dir)]
    if not runs:
        raise FileNotFoundError(f"No {LOG_NAME} in {run_dir}")
    finished = [run for run in runs if run.finished]
    return (finished or runs)[-1]


def find_run_dirs(root):
    """Every folder under `root` holding a log file, in sorted order."""
    if not os.path.isdir(root):
        raise FileNotFoundError(f"Results folder not found: {root}")
    run_dirs = []
    for directory, subdirs, files in os.walk(root):
        subdirs.sort()
        if any(name == LOG_NAME or name.startswith(LOG_NAME + "-") for name in files):
            run_dirs.append(directory)
    return run_dirs
