"""AnchorOPT stage II on the six baselines (spec §3.3–3.6): each trainer is the baseline + `AnchorOPTMixin`.

Registered module names are upstream's (`normal_prompt_learner`; MaPLe's `MultiModalPromptLearner`),
and the learned tensors keep upstream's names (`ctx`, `ctx_pos_params`).
"""
from dassl.engine import TRAINER_REGISTRY

from .cocoop import CoCoOp
from .coop import CoOp, word_context
from .dept import DePT
from .kgcoop import KgCoOp
from .maple import MaPLe
from .plugins.anchoropt import AnchorOPTMixin
from .promptsrc import PromptSRC


@TRAINER_REGISTRY.register()
class CoOp_AnchorOPT(AnchorOPTMixin, CoOp):
    """CoOp + AnchorOPT: the reference form of §3.1."""

    upstream_discarded_draws = ("anchor", "clip")  # its anchor learner draws an anchor, then loads a CLIP


@TRAINER_REGISTRY.register()
class CoCoOp_AnchorOPT(AnchorOPTMixin, CoCoOp):
    """CoCoOp + AnchorOPT: the meta-net shifts the soft tokens only; the anchor is appended after the shift.

    Upstream trains neither the meta-net nor Π (W-C5); the COCOOP_* flags turn them on.
    """

    upstream_discarded_draws = ("anchor",)  # its anchor learner, built first, loads no second CLIP

    def anchored_context(self, context):
        """Upstream reads TRAINER.COOP.CTX_INIT here (not COCOOP's): words set the init and N (spec §3.2)."""
        coop = self.cfg.TRAINER.COOP
        return word_context(coop) if coop.CTX_INIT else super().anchored_context(context)

    def select_trainable(self, learner):
        super().select_trainable(learner)
        learner.meta_net.requires_grad_(self.anchoropt_cfg.COCOOP_TRAIN_META_NET)
        learner.ctx_pos_params.requires_grad_(self.anchoropt_cfg.COCOOP_LEARN_POSITION)


@TRAINER_REGISTRY.register()
class MaPLe_AnchorOPT(AnchorOPTMixin, MaPLe):
    """MaPLe + AnchorOPT (deep): the anchor branch runs CLIP without any prompt, images included."""

    learner_name = "MultiModalPromptLearner"
    prompt_layout = "anchored_deep"
    upstream_discarded_draws = ("clip", "anchor")  # the vanilla CLIP of its anchor branch, then the anchor learner

    def after_shallow_projection(self, layout):
        """Upstream draws ctx → proj → Π → deep prompts → projections (spec §3.5)."""
        layout.draw_position_logits()


@TRAINER_REGISTRY.register()
class DePT_AnchorOPT(AnchorOPTMixin, DePT):
    """DePT + AnchorOPT: no KD; λ_CE scales DePT's loss; the head fuses on base, the ensemble scores new."""

    distills = False
    upstream_discarded_draws = ("anchor", "clip")  # CoOp_AnchorOPT's model underneath

    def adapt_loaded_state(self, state_dict):
        """Upstream saves the bare prompt learner (`ctx`, `ctx_pos_params`): file those under `prompt_learner.`.
        It saves no head or FiLM either (W-C10): those keep their initial values, named in a warning."""
        learned = {name for name, _ in self.prompt_learner.named_parameters()}
        renamed = {(f"prompt_learner.{key}" if key in learned else key): value for key, value in state_dict.items()}
        current = self.model.state_dict()
        unsaved_head = sorted(name for name, _ in self.model.named_parameters()
                              if not name.startswith("prompt_learner.") and name not in renamed)
        if unsaved_head:
            print(f"Warning: the checkpoint holds no {unsaved_head} (upstream saves no DePT head); "
                  "they keep their initial values")
        return super().adapt_loaded_state({**{name: current[name] for name in unsaved_head}, **renamed})


@TRAINER_REGISTRY.register()
class KgCoOp_AnchorOPT(AnchorOPTMixin, KgCoOp):
    """KgCoOp + AnchorOPT: ``λ_CE·(CE(z_n) + W·L_kg) + λ_KD·KD``, L_kg on the anchored prompt's features.

    λ_CE scales KgCoOp's whole objective, as it scales DePT's, so CE and the knowledge-guided term keep
    KgCoOp's balance whatever λ_CE is; the KD term is added as for CoOp. No upstream exists, so there
    are no discarded draws to replay.
    """

    def text_feature_loss(self, text_features):
        return self.anchoropt_cfg.PROMPT_CE_WEIGHT * super().text_feature_loss(text_features)


@TRAINER_REGISTRY.register()
class PromptSRC_AnchorOPT(AnchorOPTMixin, PromptSRC):
    """PromptSRC + AnchorOPT (deep, defined as for MaPLe): P arranges [soft tokens; anchor] at the input,
    the IVLP text prompts replace the soft tokens of every deep layer through the same P while the anchor's
    hidden state is carried on. Loss: AnchorOPT's λ_CE·CE + λ_KD·KD plus PromptSRC's self-regularisation."""

    learner_name = "VLPromptLearner"
    prompt_layout = "anchored_deep"

    @property
    def soft_token_count(self):
        return self.anchoropt_cfg.N_CTX

    def build_layout(self, classnames, context):
        layout = super().build_layout(classnames, context)
        layout.draw_position_logits()
        return layout

    def compute_loss(self, images, labels):
        loss, summary = super().compute_loss(images, labels)
        return self.add_self_regularisation(loss, summary, images)
