"""Registered trainers; importing this package registers all of them and their config keys.

The plug-ins in `trainers.plugins` (ATPrompt, AnchorOPT) register themselves when present.
"""
import importlib.util

from . import cocoop, coop, dept, maple, zsclip  # noqa: F401  (registration side effects)

if importlib.util.find_spec("trainers.plugins") is not None:
    importlib.import_module("trainers.plugins")
