"""Our own CLIP: OpenAI's API (`import clip` or `from clip import clip`) plus prompt hooks."""
from . import prompt_hooks
from .clip import _MODELS, _download, available_models, build_model, load, tokenize

__all__ = ["available_models", "load", "tokenize", "build_model", "_MODELS", "_download", "prompt_hooks"]
