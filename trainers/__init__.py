"""Registered trainers; importing this package registers all of them, their config keys and the plug-ins."""
from . import cocoop, coop, dept, kgcoop, maple, plugins, promptsrc, zsclip  # noqa: F401  (registration side effects)
