"""KgCoOp (Yao et al., CVPR 2023): CoOp whose class text features are pulled toward frozen CLIP's
features of a hand-written prompt, so the learned context forgets less of CLIP's general knowledge.

Loss: ``CE(logits, y) + W · (1 − mean_c cos(t_c, t̂_c))`` with ``t_c`` the prompted text feature of
class c and ``t̂_c`` frozen CLIP's feature of KgCoOp's hand-written template for c (W =
TRAINER.COOP.W, 8.0 in its base-to-novel scripts). Test logits are CoOp's: the prompt alone.

Upstream's release differs from this in three ways that shaped no published number: one version of its
trainer steps a second LR scheduler on the same optimiser, collapsing the LR (htyao89/KgCoOp#2, where
the author's own log shows one cosine schedule: we step one); it draws unused tensors (`bias_vectors`,
a `meta_net`, an adapter, a second CLIP) after the context, which leave every initial value as here and
only shift the RNG stream, so they are not replayed; its `amp` branch fails (the model returns a
tuple), while here `amp` trains the same loss.
"""
import torch
from torch.nn import functional as F

from dassl.engine import TRAINER_REGISTRY

from .config import config_extension, section
from .coop import CoOp
from .parts.clip_setup import load_clip
from .parts.logits import l2_normalize
from .parts.templates import KGCOOP_TEMPLATES, dataset_template
from .parts.zero_shot import template_text_features


@config_extension
def add_kgcoop_keys(cfg):
    kgcoop = section(cfg.TRAINER, "KGCOOP")
    kgcoop.TEMPLATE = ""  # hand-written prompt of the frozen features, e.g. "a photo of a {}." ("" = KgCoOp's table)


def knowledge_guided_loss(text_features, frozen_units):
    """``1 − mean_c cos(t_c, t̂_c)`` over the classes, both sides normalised first as upstream does."""
    frozen_units = l2_normalize(frozen_units).to(text_features.dtype)
    return 1.0 - F.cosine_similarity(l2_normalize(text_features), frozen_units, dim=-1, eps=1e-7).mean()


@TRAINER_REGISTRY.register()
class KgCoOp(CoOp):
    """Registered module `prompt_learner` holding `ctx`, as upstream (its checkpoints' unused
    `bias_vectors` / `meta_net.*` are ignored on load). Upstream's CTX_INIT True means "a photo of a";
    here CTX_INIT carries those words (configs/trainers/KgCoOp/)."""

    def build_model(self):
        super().build_model()
        self.hand_crafted_units = self.hand_crafted_text_features()

    def hand_crafted_template(self):
        override = self.cfg.TRAINER.KGCOOP.TEMPLATE
        return dataset_template(self.cfg.DATASET.NAME, override, KGCOOP_TEMPLATES, "TRAINER.KGCOOP.TEMPLATE")

    @torch.no_grad()
    def hand_crafted_text_features(self):
        """Unit features t̂ [C, E], encoded once per run. Upstream encodes them with a second CLIP that it
        never upcasts, so on CUDA they are fp16 features whatever PREC says (CPU: fp32)."""
        template = self.hand_crafted_template()
        print(f"Hand-crafted prompt of the knowledge-guided loss: {template!r}")
        clip_model = self.clip_model
        if self.device.type == "cuda" and clip_model.dtype != torch.float16:
            clip_model = load_clip(self.cfg, "fp16", self.device)
        return template_text_features(clip_model, self.dm.dataset.classnames, [template])

    def text_feature_loss(self, text_features):
        return self.cfg.TRAINER.COOP.W * knowledge_guided_loss(text_features, self.hand_crafted_units)
