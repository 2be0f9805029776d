"""DePT (Zhang et al., CVPR 2024) on CoOp: a FiLM'd linear-probe head fused with the prompt on base classes."""
import os

import torch
from torch import nn
from torch.nn import functional as F

from dassl.engine import TRAINER_REGISTRY
from dassl.optim import build_optimizer

from .config import config_extension, section
from .coop import CoOp
from .parts.film import FiLM
from .parts.logits import cosine_logits
from .parts.precision import CastLinear, learnable_dtype

HEAD_SLICED_DATASETS = ("ImageNetA", "ImageNetR")


@config_extension
def add_dept_keys(cfg):
    linear_probe = section(cfg.TRAINER, "LINEAR_PROBE")
    linear_probe.TYPE = "linear"  # linear (a Linear head) or similarity (cosine logits of FiLM'd features)
    linear_probe.WEIGHT = 0.7  # w: loss (1-w)*CE_sim + w*CE_head, and the test-time fusion weight
    linear_probe.TEST_TIME_FUSION = True  # base-like test logits (1-w)*sim + w*head; False = head only
    film = section(cfg.TRAINER, "FILM")
    film.LINEAR_PROBE = True  # channel-wise FiLM on the head's image and text inputs
    cfg.TRAINER.NAMES_TO_UPDATE = ["prompt_learner", "linear_probe", "film"]  # substrings of trainable names
    # OPTIM.STAGED_LR True selects the original DePT optimiser: children whose name contains a
    # NEW_LAYERS entry train at LR * LR_EXP, the others at LR * BASE_LR_MULT (upstream: one LR).
    cfg.OPTIM.LR_EXP = 6.5


def is_base_like(cfg):
    """The head exists on base classes, and on all classes of the ImageNet family (cross-dataset source, DG)."""
    subsample = cfg.DATASET.SUBSAMPLE_CLASSES
    return subsample == "base" or (subsample == "all" and "ImageNet" in cfg.DATASET.NAME)


def staged_param_groups(learner, optim_cfg):
    """DePT's grouping: top-level children matching NEW_LAYERS by substring get LR * LR_EXP, the others
    LR * LR_EXP * (BASE_LR_MULT / LR_EXP), the original's float expression for LR * BASE_LR_MULT."""
    new_layers = [optim_cfg.NEW_LAYERS] if isinstance(optim_cfg.NEW_LAYERS, str) else list(optim_cfg.NEW_LAYERS)
    base, new = [], []
    for name, child in learner.named_children():
        params = [p for p in child.parameters() if p.requires_grad]
        (new if any(layer in name for layer in new_layers) else base).extend(params)
    new_lr = optim_cfg.LR * optim_cfg.LR_EXP
    return [
        {"params": base, "lr": new_lr * (optim_cfg.BASE_LR_MULT / optim_cfg.LR_EXP)},
        {"params": new, "lr": new_lr},
    ]


def present_class_mask(dataset_dir, image_dir):
    """Which of ImageNet's classes (classnames.txt order) have an image folder in a 200-class variant."""
    with open(os.path.join(dataset_dir, "classnames.txt")) as f:
        wnids = [line.strip().split(" ")[0] for line in f if line.strip()]
    present = set(os.listdir(image_dir)) - {"README.txt"}
    return torch.tensor([wnid in present for wnid in wnids])


def present_class_rows(head_tensor, mask, classnames_file):
    """The head rows of the present classes; the head must have one row per line of classnames.txt."""
    if head_tensor.shape[0] != mask.numel():
        raise ValueError(
            f"The DePT head has {head_tensor.shape[0]} classes but {classnames_file} lists {mask.numel()}: "
            "the source model must be trained on ImageNet with the same classnames.txt"
        )
    return head_tensor[mask.to(head_tensor.device)]


@TRAINER_REGISTRY.register()
class DePT(CoOp):
    learner_name = "PromptLearner"
    log_accuracy = False  # the original logs the loss only
    check_finite_loss = False  # the original steps without CoOp's finite-loss check

    def build_learner(self, classnames):
        learner = nn.ModuleDict({"prompt_learner": super().build_learner(classnames)})
        embed_dim = self.clip_model.text_projection.shape[1]
        if self.cfg.TRAINER.FILM.LINEAR_PROBE:
            learner["film_lp_img"] = FiLM(embed_dim)
            learner["film_lp_text"] = FiLM(embed_dim)
        self.base_like = is_base_like(self.cfg)
        if self.base_like and self.cfg.TRAINER.LINEAR_PROBE.TYPE == "linear":
            head = CastLinear(embed_dim, len(classnames)).to(learnable_dtype(self.cfg, self.dtype))
            learner["linear_probe_proj"] = head
        return learner

    def select_trainable(self, learner):
        names = self.cfg.TRAINER.NAMES_TO_UPDATE
        for name, param in learner.named_parameters():
            param.requires_grad_(any(part in name for part in names))

    def build_optimizer(self, learner):
        optim_cfg = self.cfg.OPTIM
        if not optim_cfg.STAGED_LR:
            return build_optimizer(learner, optim_cfg)
        groups = staged_param_groups(learner, optim_cfg)
        plain_cfg = optim_cfg.clone()
        plain_cfg.defrost()
        plain_cfg.STAGED_LR = False
        return build_optimizer(learner, plain_cfg, param_groups=groups)

    def film(self, name, features):
        return self.model[name](features) if name in self.model else features

    def head_logits(self, image_features, text_features=None, labels=None):
        """Head branch on un-normalised features; in training also on the text features of the labels."""
        image = self.film("film_lp_img", image_features)
        if self.cfg.TRAINER.LINEAR_PROBE.TYPE == "similarity":
            return cosine_logits(image, self.film("film_lp_text", text_features), self.logit_scale), labels
        if labels is None:
            return self.model["linear_probe_proj"](image), None
        text = self.film("film_lp_text", text_features[labels])
        return self.model["linear_probe_proj"](torch.cat([text, image])), torch.cat([labels, labels])

    def compute_loss(self, images, labels):
        if not self.base_like:
            raise RuntimeError(
                "DePT trains only on base-like splits: set DATASET.SUBSAMPLE_CLASSES base "
                "(or all on an ImageNet dataset)"
            )
        weight = self.cfg.TRAINER.LINEAR_PROBE.WEIGHT
        text_features = self.class_text_features()
        image_features = self.encode_images(images)
        sim_logits = cosine_logits(image_features, text_features, self.logit_scale)
        head_logits, head_labels = self.head_logits(image_features, text_features, labels)
        loss = (1 - weight) * F.cross_entropy(sim_logits, labels) + weight * F.cross_entropy(head_logits, head_labels)
        return loss, self.loss_summary(loss, sim_logits, labels)

    def model_inference(self, images):
        text_features = self.eval_cache.get("class_text_features", self.class_text_features)
        image_features = self.encode_images(images)
        sim_logits = cosine_logits(image_features, text_features, self.logit_scale)
        if not self.base_like:
            return sim_logits
        head_logits, _ = self.head_logits(image_features, text_features)
        if not self.cfg.TRAINER.LINEAR_PROBE.TEST_TIME_FUSION:
            return head_logits
        weight = self.cfg.TRAINER.LINEAR_PROBE.WEIGHT
        return (1 - weight) * sim_logits + weight * head_logits

    def adapt_loaded_state(self, state_dict):
        """ImageNet-A/R keep only the head rows of their 200 classes (spec 3.5, load step 3)."""
        key = "linear_probe_proj.weight"
        if self.cfg.DATASET.NAME in HEAD_SLICED_DATASETS and key in state_dict:
            dataset = self.dm.dataset
            mask = present_class_mask(dataset.dataset_dir, dataset.image_dir)
            classnames_file = os.path.join(dataset.dataset_dir, "classnames.txt")
            for name in (key, "linear_probe_proj.bias"):
                state_dict[name] = present_class_rows(state_dict[name], mask, classnames_file)
        return state_dict
