"""Method plug-ins that any baseline composes: ATPrompt (`atprompt`) and AnchorOPT (`anchoropt*`).

`trainers/__init__.py` imports this package; importing it registers the plug-ins' layouts, config
keys and the trainers built from them.
"""
from . import anchoropt, atprompt  # noqa: F401
from .. import anchor_pretrain, anchoropt_trainers, atprompt_trainers, attribute_compute  # noqa: F401
