"""Method plug-ins that any baseline composes: ATPrompt (`atprompt`) and AnchorOPT (`anchoropt*`).

`trainers/__init__.py` imports this package; importing it registers the plug-ins' layouts, config
keys and the trainers built from them.
"""
from . import atprompt  # noqa: F401
from .. import atprompt_trainers, attribute_compute  # noqa: F401
