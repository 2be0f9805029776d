"""ATPrompt on the four baselines (spec §1.3): each trainer is the baseline with the attribute layout.

Registered names and checkpoint folders are upstream's (`prompt_learner`, `MultiModalPromptLearner`,
`PromptLearner`), so upstream command lines and learned tensors (`ctx`, `ctx_att1..3`) carry over.
"""
from dassl.engine import TRAINER_REGISTRY

from .cocoop import CoCoOp
from .coop import CoOp
from .dept import DePT
from .maple import MaPLe
from .parts.prompt_layout import ContextSpec
from .plugins import atprompt  # noqa: F401  (registers the "atprompt" layout and TRAINER.ATPROMPT keys)


class ATPromptMixin:
    """Put before a baseline: its prompts use `AttributeLayout` when TRAINER.ATPROMPT.USE_ATPROMPT is True.

    As upstream's ATP trainers, the class context is always random with the method's N_CTX tokens:
    CTX_INIT (e.g. CoCoOp's "a photo of a") is ignored.
    """

    @property
    def prompt_layout(self):
        return "atprompt" if self.cfg.TRAINER.ATPROMPT.USE_ATPROMPT else super().prompt_layout

    def build_layout(self, classnames, context):
        random_context = ContextSpec(self.method_cfg.N_CTX, "", context.class_specific, context.class_token_position)
        return super().build_layout(classnames, random_context)


@TRAINER_REGISTRY.register()
class CoOp_ATP(ATPromptMixin, CoOp):
    """CoOp + ATPrompt."""


@TRAINER_REGISTRY.register()
class CoCoOp_ATP(ATPromptMixin, CoCoOp):
    """CoCoOp + ATPrompt: the meta-net shifts the class soft tokens only."""


@TRAINER_REGISTRY.register()
class MaPLe_ATP(ATPromptMixin, MaPLe):
    """MaPLe + ATPrompt (deep): deep prompts replace the class soft tokens; attribute tokens flow on."""


@TRAINER_REGISTRY.register()
class DePT_ATP(ATPromptMixin, DePT):
    """DePT + ATPrompt: CoOp_ATP's prompts with DePT's FiLM'd linear-probe head."""
