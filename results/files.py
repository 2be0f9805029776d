"""Atomic file output: a reader never sees a half-written table or chart."""
from dassl.utils import atomic_write


def write_text_atomic(path, text):
    atomic_write(path, lambda handle: handle.write(text), encoding="utf-8", newline="")
