"""AnchorOPT stage I (spec §2): learn one anchor so that "X of {class}." matches LLM class descriptions.

The loss needs no image (§2.4), so training runs text-only: the train loader is replaced by a step
counter of the same length, which keeps upstream's number of optimiser steps and its per-epoch LR
schedule while no image is read or encoded. Evaluation scores images by the anchor prompts alone.
"""
import os

from torch.nn import functional as F

from dassl.engine import TRAINER_REGISTRY

from .parts.checkpoint import CHECKPOINT_FILE
from .parts.logits import l2_normalize
from .parts.precision import learnable_dtype
from .parts.prompt_trainer import PromptTrainer
from .plugins.anchoropt_anchor import (
    AnchorPrompt,
    encode_descriptions,
    initial_anchor,
    load_descriptions,
    read_anchor_file,
    stage_one_loss,
)
from .plugins.anchoropt_config import resolve_descriptions_file

RELEASED_FILE_NAME = "model.pth.tar"  # the released anchors' file name (ours carry the epoch: model.pth.tar-<E>)


def has_epoch_checkpoints(directory):
    return any(CHECKPOINT_FILE.match(name) for name in os.listdir(directory))


class StepCounter:
    """Stands in for a train loader whose batches the loss ignores: `len` batches of None."""

    def __init__(self, num_batches):
        self.num_batches = num_batches

    def __len__(self):
        return self.num_batches

    def __iter__(self):
        return iter([None] * self.num_batches)


@TRAINER_REGISTRY.register()
class CoOp_Pretrain_Anchor(PromptTrainer):
    """Registered as upstream; checkpoints go to `anchor_prompt_learner/` with upstream's keys."""

    learner_name = "anchor_prompt_learner"
    log_accuracy = False
    caches_training_features = False  # mostly text-only: its steps may carry no images at all

    @property
    def anchoropt_cfg(self):
        return self.cfg.TRAINER.ANCHOROPT

    def uses_images(self):
        return self.anchoropt_cfg.ANCHOR_CE_WEIGHT != 0

    def build_data_loader(self):
        super().build_data_loader()
        if not self.uses_images():
            self.train_loader_x = StepCounter(len(self.train_loader_x))
            self.train_loader = self.train_loader_x

    def build_learner(self, classnames):
        width = self.clip_model.ln_final.weight.shape[0]
        anchor = initial_anchor(self.anchoropt_cfg.ANCHOR_LEN, width, self.dtype)
        anchor = anchor.to(learnable_dtype(self.cfg, self.dtype))
        self.prompt_learner = AnchorPrompt([name.replace("_", " ") for name in classnames], self.clip_model, anchor)
        self.description_features = None
        return self.prompt_learner

    def class_text_features(self):
        return self.prompt_learner.text_features(self.text_encoder)

    def descriptions(self):
        """Frozen description features [C, M, E], encoded once, at the first training step.

        Lazily, so that evaluating an anchor on other classes never needs their descriptions.
        """
        if self.description_features is None:
            path = resolve_descriptions_file(self.cfg)
            classnames = self.prompt_learner.classnames
            sentences = load_descriptions(path, classnames, self.anchoropt_cfg.MAX_TEMPLATE_LENGTH)
            print(f"Encoding {self.anchoropt_cfg.MAX_TEMPLATE_LENGTH} descriptions per class from {path}")
            self.description_features = encode_descriptions(self.clip_model, sentences)
        return self.description_features

    def parse_batch_train(self, batch):
        if batch is None:
            return None, None
        return super().parse_batch_train(batch)

    def compute_loss(self, images, labels):
        anchor_features = l2_normalize(self.class_text_features())
        loss = stage_one_loss(anchor_features, self.descriptions(), self.anchoropt_cfg.ANCHOR_MSE_WEIGHT)
        if self.uses_images():
            logits = self.logits(images, anchor_features)
            loss = loss + self.anchoropt_cfg.ANCHOR_CE_WEIGHT * F.cross_entropy(logits, labels)
        return loss, {"loss": loss.item()}

    def load_model(self, directory, epoch=None):
        """Also evaluates a released anchor: `<directory>/anchor_prompt_learner/model.pth.tar`, no epoch suffix."""
        released = os.path.join(directory, self.learner_name, RELEASED_FILE_NAME) if directory else ""
        if not os.path.isfile(released) or has_epoch_checkpoints(os.path.dirname(released)):
            return super().load_model(directory, epoch)
        print(f'Loading the released anchor from "{released}"')
        self.prompt_learner.load_anchor(read_anchor_file(released))

    def test(self, split=None, is_final=False):
        print("evaluate on anchor prompts")
        return super().test(split=split, is_final=is_final)
