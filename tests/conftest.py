"""Registers the shared fixture modules for every test package."""
import importlib.util

_FIXTURE_MODULES = ["tests.fixtures.clip_fixtures", "tests.fixtures.dataset_fixtures"]
pytest_plugins = [name for name in _FIXTURE_MODULES if importlib.util.find_spec(name) is not None]
