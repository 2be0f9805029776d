"""CoCoOp (Zhou et al., CVPR 2022): CoOp whose class context is shifted per image by a meta-net."""
from collections import OrderedDict

import torch
from torch import nn

from dassl.engine import TRAINER_REGISTRY

from .config import config_extension, section
from .coop import word_context
from .parts.logits import l2_normalize, scaled_similarity
from .parts.precision import CastLinear, learnable_dtype
from .parts.prompt_trainer import PromptTrainer


# Prompts per batched text pass: bounds the activation memory of CoCoOp's test batches (100 images x
# 1000 ImageNet classes would be 100k sequences at once).
TEXT_ROWS_PER_PASS = 4096


@config_extension
def add_cocoop_keys(cfg):
    cocoop = section(cfg.TRAINER, "COCOOP")
    cocoop.N_CTX = 16  # number of context tokens (overridden by the word count of CTX_INIT)
    cocoop.CTX_INIT = ""  # initialisation words ("" = random)
    cocoop.PREC = "fp16"  # fp16, fp32 or amp


def build_meta_net(image_dim, text_dim, dtype):
    """Linear(E -> E/16) -> ReLU -> Linear(E/16 -> D), upstream's sub-module names."""
    hidden = image_dim // 16
    layers = OrderedDict(
        [("linear1", CastLinear(image_dim, hidden)), ("relu", nn.ReLU(inplace=True)), ("linear2", CastLinear(hidden, text_dim))]
    )
    return nn.Sequential(layers).to(dtype)


@TRAINER_REGISTRY.register()
class CoCoOp(PromptTrainer):
    config_section = "COCOOP"
    log_accuracy = False
    check_finite_loss = False

    def build_learner(self, classnames):
        layout = self.build_layout(classnames, word_context(self.method_cfg))
        # Inside the layout so that checkpoint keys are upstream's `meta_net.linear1.weight`, ...
        layout.add_module(
            "meta_net",
            build_meta_net(self.clip_model.text_projection.shape[1], layout.width, learnable_dtype(self.cfg, self.dtype)),
        )
        self.prompt_learner = layout
        return layout

    def logits(self, images, text_features=None):
        """A text pass over all classes per image, since the prompts depend on the image."""
        image_units = l2_normalize(self.encode_images(images))
        class_shift = self.prompt_learner.meta_net(image_units)
        rows = []
        step = self.images_per_text_pass()
        for start in range(0, len(image_units), step):
            embeddings, pool_index = self.prompt_learner(class_shift=class_shift[start:start + step])
            text_units = l2_normalize(self.encode_prompts(embeddings, pool_index))
            for image_unit, units in zip(image_units[start:start + step], text_units):
                rows.append(scaled_similarity(image_unit, units, self.logit_scale))
        return torch.stack(rows)

    def images_per_text_pass(self):
        """Images whose prompt sets share one text-encoder call: upstream's one by one when the shared
        prefix is off (TRAINER.TEXT_ENCODER.SHARE_PREFIX), else as many as fit TEXT_ROWS_PER_PASS prompts."""
        if not self.text_encoder.share_prefix:
            return 1
        return max(1, TEXT_ROWS_PER_PASS // self.prompt_learner.n_cls)

    def model_inference(self, images):
        return self.logits(images)
