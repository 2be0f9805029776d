"""Registers the shared fixture modules for every test package and pins torch to one thread.

The test models are tiny: with several threads, thread start-up dominates every small matmul and
the suite runs several times slower on a loaded 2-core machine. Subprocesses inherit the setting.
"""
import importlib.util
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch  # noqa: E402  (after the thread setting, so subprocess-free tests see it too)

torch.set_num_threads(1)

_FIXTURE_MODULES = [
    "tests.fixtures.clip_fixtures", "tests.fixtures.dataset_fixtures", "tests.fixtures.llm_endpoint",
    "tests.fixtures.http_server",
]
pytest_plugins = [name for name in _FIXTURE_MODULES if importlib.util.find_spec(name) is not None]
