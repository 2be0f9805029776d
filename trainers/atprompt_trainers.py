"""ATPrompt on the six baselines (spec §1.3): each trainer is the baseline with the attribute layout.

Registered names and checkpoint folders are upstream's (`prompt_learner`, `MultiModalPromptLearner`,
`PromptLearner`), so upstream command lines and learned tensors (`ctx`, `ctx_att1..3`) carry over.
"""
from dassl.engine import TRAINER_REGISTRY

from .cocoop import CoCoOp
from .coop import CoOp
from .dept import DePT
from .kgcoop import KgCoOp
from .maple import MaPLe
from .parts.prompt_layout import ContextSpec
from .plugins.atprompt import AttributeLayout
from .promptsrc import PromptSRC


class ATPromptMixin:
    """Put before a baseline: its prompts use `AttributeLayout` when TRAINER.ATPROMPT.USE_ATPROMPT is True.

    As upstream's ATP trainers, the class context is always random with the method's N_CTX tokens:
    CTX_INIT (e.g. CoCoOp's "a photo of a") is ignored. Initial values follow upstream's draw order:
    class context, the baseline's own prompt-learner parts, then the attribute blocks (spec §1.3).
    """

    def build_layout(self, classnames, context):
        random_context = ContextSpec(self.soft_token_count, "", context.class_specific, context.class_token_position)
        if not self.cfg.TRAINER.ATPROMPT.USE_ATPROMPT:
            return super().build_layout(classnames, random_context)
        return AttributeLayout(self.cfg, classnames, self.clip_model, random_context, draw_attribute_blocks=False)

    def build_learner(self, classnames):
        learner = super().build_learner(classnames)
        if isinstance(self.prompt_learner, AttributeLayout):
            self.prompt_learner.draw_attribute_blocks()
        return learner


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
class DePT_ATP(DePT, CoOp_ATP):
    """DePT + ATPrompt: DePT's FiLM'd linear-probe head on CoOp_ATP, as upstream (the head, built after
    the whole CoOp_ATP prompt learner, draws its initial values after the attribute blocks)."""


@TRAINER_REGISTRY.register()
class KgCoOp_ATP(ATPromptMixin, KgCoOp):
    """KgCoOp + ATPrompt: the knowledge-guided term pulls the attribute-prompted class features toward
    the hand-written prompt's (no upstream exists; nothing else changes)."""


@TRAINER_REGISTRY.register()
class PromptSRC_ATP(ATPromptMixin, PromptSRC):
    """PromptSRC + ATPrompt (deep): the text blocks' IVLP prompts replace the class soft tokens; attribute
    tokens flow on. N = TRAINER.PROMPTSRC.N_CTX_TEXT; CTX_INIT is ignored as in every ATP trainer."""
