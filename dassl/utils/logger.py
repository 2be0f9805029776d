"""Tee stdout into ``<OUTPUT_DIR>/log.txt``; log parsers read that file, so stdout only (not stderr)."""
import os
import sys
import time
import warnings

from .distributed import is_main_process
from .tools import mkdir_if_missing


class Logger:
    """Writes to the console and a file; closing it never closes the real console."""

    def __init__(self, fpath=None):
        self.console = sys.stdout
        self.file = None
        if fpath is not None:
            mkdir_if_missing(os.path.dirname(os.path.abspath(fpath)))
            self.file = open(fpath, "w")

    def write(self, msg):
        self.console.write(msg)
        if self.file is not None and not self.file.closed:
            self.file.write(msg)

    def flush(self):
        self.console.flush()
        if self.file is not None and not self.file.closed:
            self.file.flush()
            os.fsync(self.file.fileno())

    def close(self):
        self.flush()
        if self.file is not None:
            self.file.close()

    def isatty(self):
        return False

    def __getattr__(self, name):
        if name == "console":
            raise AttributeError(name)
        return getattr(self.console, name)


def _log_path(output):
    """Never overwrite an earlier run's log: a second run writes ``log.txt-<timestamp>`` (Dassl's naming)."""
    if output.endswith(".txt") or output.endswith(".log"):
        fpath = output
    else:
        fpath = os.path.join(output, "log.txt")
    if os.path.exists(fpath):
        suffixed = fpath + time.strftime("-%Y-%m-%d-%H-%M-%S")
        warnings.warn(
            f"{fpath} already exists, so this run logs to {suffixed}; parse_test_res.py reads only "
            f"{os.path.basename(fpath)}: use a fresh --output-dir to have this run parsed"
        )
        fpath = suffixed
    return fpath


def setup_logger(output=None):
    """Tee stdout to ``output`` (a folder -> ``log.txt``; an existing log gets a time-stamped sibling).

    Calling it again in the same process restores the console first, so logs never nest. Only
    rank 0 of a distributed run writes the log.
    """
    if output is None or not is_main_process():
        return
    close_logger()
    sys.stdout = Logger(_log_path(output))


def close_logger():
    """Flush and close the current log file (if any) and give stdout back to the console."""
    if isinstance(sys.stdout, Logger):
        logger = sys.stdout
        sys.stdout = logger.console
        logger.close()


def flush_logger():
    """Flush stdout (and fsync the log file when teeing), e.g. before a run ends."""
    sys.stdout.flush()
