"""ATPrompt's differentiable attribute search (spec §1.6.2): a softmax(α)-weighted mixture of candidates.

Every candidate is an order-preserving combination of the attribute bases with its own soft tokens.
Soft tokens follow the training CE (SGD, the usual schedule); α follows the validation CE (Adam),
the two updated alternately. The candidate weights are logged per epoch and written with the
winner to a JSON file that `scripts/atprompt/run_settings.py --attributes-file` reads.
"""
import itertools
import os
import random
from collections import defaultdict

import torch
from torch import nn
from torch.nn import functional as F

from dassl.config import ConfigError
from dassl.data.data_manager import build_data_loader
from dassl.data.transforms import build_transform
from dassl.engine import TRAINER_REGISTRY
from dassl.optim import build_optimizer
from dassl.utils import write_json

from .config import config_extension, section
from .parts.logits import l2_normalize
from .parts.precision import PRECISIONS, learnable_dtype
from .parts.prompt_layout import ContextSpec
from .parts.prompt_trainer import PromptTrainer
from .plugins.atprompt import AttributeLayout, load_attribute_table

VAL_BATCH_MODES = ("shuffled_cycle", "first_batch_upstream")
VALIDATION_SOURCES = ("auto", "val", "train_half")
RESULT_FILE_NAME = "attribute_search.json"


@config_extension
def add_search_keys(cfg):
    search = section(cfg, "SEARCH")
    search.ATTRIBUTES = []  # attribute bases; [] = the dataset's `bases` in configs/atprompt/attributes.yaml
    search.N_CTX = 4  # class soft tokens of every candidate
    search.N_ATT = 4  # soft tokens before every attribute (upstream uses N_ATT1 for all of them)
    search.PREC = "fp32"  # the search runs in fp32 upstream; fp16 is possible on CUDA
    # Candidate pool: combinations of MIN_SIZE..MAX_SIZE bases (MAX_SIZE 0 = all bases), canonical order.
    # The paper uses all 31 combinations of 5 bases; upstream keeps sizes >= 3 and shuffles them
    # (MIN_SIZE 3, SHUFFLE True; W-S1); the docs suggest MAX_SIZE 3 for speed.
    search.MIN_SIZE = 1
    search.MAX_SIZE = 0
    search.SHUFFLE = False  # shuffle the pool with Python's random (seeded by SEED)
    search.ALPHA_LR = 0.02  # Adam on the architecture weights α (constant LR, no weight decay)
    search.ALPHA_BETAS = (0.5, 0.999)
    # Batches of the α step. shuffled_cycle: the whole val split, reshuffled and cycled (the fix);
    # first_batch_upstream: always the first sequential val batch, as upstream (W-S2).
    search.VAL_BATCHES = "shuffled_cycle"
    # Data of the α step. val: the dataset's val split (upstream; for ImageNet that is the test set, W-S3);
    # train_half: each class's few-shot images split in two, the second half for α (the paper's ImageNet
    # protocol); auto: train_half for the ImageNet family, val otherwise.
    search.VALIDATION = "auto"
    search.RESULT_FILE = ""  # JSON with per-epoch weights and the winner ("" = OUTPUT_DIR/attribute_search.json)


def search_bases(cfg):
    """SEARCH.ATTRIBUTES, or the dataset's five LLM bases from the attribute table."""
    if cfg.SEARCH.ATTRIBUTES:
        return list(cfg.SEARCH.ATTRIBUTES)
    table = load_attribute_table()
    if cfg.DATASET.NAME not in table:
        raise ConfigError(f"No attribute bases for {cfg.DATASET.NAME!r} in configs/atprompt/attributes.yaml: "
                         "set SEARCH.ATTRIBUTES, e.g. \"['color', 'shape', 'size']\"")
    return table[cfg.DATASET.NAME]["bases"]


def candidate_pool(bases, min_size=1, max_size=0, shuffle=False, rng=random):
    """Order-preserving combinations of `bases` with MIN_SIZE..MAX_SIZE words."""
    max_size = max_size or len(bases)
    if not 1 <= min_size <= max_size <= len(bases):
        raise ConfigError(f"SEARCH.MIN_SIZE={min_size} / MAX_SIZE={max_size} must satisfy "
                         f"1 <= MIN_SIZE <= MAX_SIZE <= {len(bases)} (the number of bases)")
    pool = [combo for size in range(min_size, max_size + 1) for combo in itertools.combinations(bases, size)]
    if shuffle:
        rng.shuffle(pool)
    return pool


def validation_source(cfg):
    source = cfg.SEARCH.VALIDATION
    if source not in VALIDATION_SOURCES:
        raise ConfigError(f"SEARCH.VALIDATION must be one of {VALIDATION_SOURCES}, got {source!r}")
    if source == "auto":
        return "train_half" if cfg.DATASET.NAME.startswith("ImageNet") else "val"
    return source


def split_train_halves(items):
    """Per class, in order: the first ceil(n/2) items train the prompts, the rest validate α."""
    by_label = defaultdict(list)
    for item in items:
        by_label[item.label].append(item)
    train, val = [], []
    for group in by_label.values():
        cut = len(group) - len(group) // 2
        train += group[:cut]
        val += group[cut:]
    if not val:
        raise ConfigError("SEARCH.VALIDATION train_half needs at least 2 shots per class (DATASET.NUM_SHOTS)")
    return train, val


class CandidateMixture(nn.Module):
    """The candidates' layouts plus α, a parameter so that it is saved and moves with the model."""

    def __init__(self, alpha, layouts):
        super().__init__()
        self.candidates = nn.ModuleList(layouts)
        self.alpha = nn.Parameter(alpha.to(layouts[0].ctx.device))

    def weights(self):
        """softmax(α), always in fp32."""
        return torch.softmax(self.alpha.float(), dim=0)


@TRAINER_REGISTRY.register()
class AttributeCompute(PromptTrainer):
    """CoOp-style candidates on a frozen CLIP; logits = Σ_k softmax(α)_k · s · img · text_kᵀ."""

    caches_training_features = False  # every step also encodes a validation batch

    @property
    def method_cfg(self):
        return self.cfg.SEARCH

    def check_cfg(self, cfg):
        if cfg.SEARCH.PREC not in PRECISIONS[:2]:
            raise ConfigError(f"SEARCH.PREC must be fp16 or fp32 for the attribute search, got {cfg.SEARCH.PREC!r}")
        if cfg.SEARCH.VAL_BATCHES not in VAL_BATCH_MODES:
            raise ConfigError(f"SEARCH.VAL_BATCHES must be one of {VAL_BATCH_MODES}, got {cfg.SEARCH.VAL_BATCHES!r}")
        validation_source(cfg)

    def build_data_loader(self):
        super().build_data_loader()
        if validation_source(self.cfg) != "train_half":
            return
        cfg = self.cfg
        prompt_half, alpha_half = split_train_halves(self.dm.dataset.train_x)
        print(f"Attribute search: {len(prompt_half)} training images for the prompts, {len(alpha_half)} for alpha")
        self.train_loader_x = self.train_loader = build_data_loader(
            cfg, sampler_type=cfg.DATALOADER.TRAIN_X.SAMPLER, data_source=prompt_half,
            batch_size=cfg.DATALOADER.TRAIN_X.BATCH_SIZE, tfm=build_transform(cfg, is_train=True), is_train=True,
        )
        self.val_loader = build_data_loader(
            cfg, sampler_type=cfg.DATALOADER.TEST.SAMPLER, data_source=alpha_half,
            batch_size=cfg.DATALOADER.TEST.BATCH_SIZE, tfm=build_transform(cfg, is_train=False), is_train=False,
        )

    def build_learner(self, classnames):
        search = self.cfg.SEARCH
        self.pool = candidate_pool(search_bases(self.cfg), search.MIN_SIZE, search.MAX_SIZE, search.SHUFFLE)
        print(f"Attribute search over {len(self.pool)} candidates")
        # Upstream's draw order: α ~ U(0, 1) on the CPU in the CLIP dtype, then per candidate its class
        # context and attribute blocks, so a seed gives the same initial values.
        alpha = torch.rand(len(self.pool), dtype=self.dtype).to(learnable_dtype(self.cfg, self.dtype))
        layouts = [
            AttributeLayout(self.cfg, classnames, self.clip_model, ContextSpec(search.N_CTX),
                            attributes=words, soft_lengths=[search.N_ATT] * len(words))
            for words in self.pool
        ]
        self.prompt_learner = CandidateMixture(alpha, layouts)
        self.weight_history = []
        return self.prompt_learner

    def build_optimizer(self, learner):
        """SGD on the soft tokens; α gets its own Adam, stepped on validation batches only."""
        search = self.cfg.SEARCH
        self.alpha_optim = torch.optim.Adam([learner.alpha], lr=search.ALPHA_LR, betas=tuple(search.ALPHA_BETAS),
                                            weight_decay=0)
        return build_optimizer(learner.candidates, self.cfg.OPTIM)

    def class_text_features(self):
        """Raw text features of every candidate, [K, C, E]."""
        features = []
        for layout in self.prompt_learner.candidates:
            features.append(self.encode_prompts(*layout(), layout=layout))
        return torch.stack(features)

    def logits(self, images, text_features=None):
        if text_features is None:
            text_features = self.class_text_features()
        image_units = l2_normalize(self.encode_images(images))
        scale = self.logit_scale.exp()
        logits = 0
        for weight, text in zip(self.prompt_learner.weights(), text_features):
            # upstream's evaluation order: (softmax(α)_k · s · img) @ text_kᵀ, accumulated candidate by candidate
            logits = logits + (weight * scale * image_units) @ l2_normalize(text).t()
        return logits

    def next_validation_batch(self):
        if self.cfg.SEARCH.VAL_BATCHES == "first_batch_upstream":
            batch = next(iter(self.val_loader))
        else:
            if not hasattr(self, "_val_iterator"):
                self._shuffled_val_loader = torch.utils.data.DataLoader(
                    self.val_loader.dataset, batch_size=self.val_loader.batch_size, shuffle=True,
                    num_workers=self.val_loader.num_workers, pin_memory=self.val_loader.pin_memory,
                )
                self._val_iterator = iter(self._shuffled_val_loader)
            try:
                batch = next(self._val_iterator)
            except StopIteration:
                self._val_iterator = iter(self._shuffled_val_loader)
                batch = next(self._val_iterator)
        return self.parse_batch_train(batch)

    def forward_backward(self, batch):
        images, labels = self.parse_batch_train(batch)
        loss, summary = self.compute_loss(images, labels)
        self.model_backward_and_update(loss)

        val_images, val_labels = self.next_validation_batch()
        val_loss = F.cross_entropy(self.logits(val_images), val_labels)
        self.alpha_optim.zero_grad()
        self.detect_anomaly(val_loss)
        val_loss.backward()
        self.alpha_optim.step()
        summary["val_loss"] = val_loss.item()

        if (self.batch_idx + 1) == self.num_batches:
            self.update_lr()
        return summary

    def after_epoch(self):
        super().after_epoch()
        weights = self.prompt_learner.weights().detach().cpu().tolist()
        self.weight_history.append(weights)
        print(f"Attribute weights after epoch {self.epoch + 1}/{self.max_epoch}:")
        for words, weight in sorted(zip(self.pool, weights), key=lambda item: -item[1]):
            print(f"  {weight:.4f}  {', '.join(words)}")
        self.write_result()

    @property
    def result_file(self):
        return self.cfg.SEARCH.RESULT_FILE or os.path.join(self.output_dir, RESULT_FILE_NAME)

    def write_result(self):
        """Weights so far and the current winner; rewritten atomically after every epoch."""
        final = self.weight_history[-1]
        best = max(range(len(final)), key=final.__getitem__)
        result = {
            "dataset": self.cfg.DATASET.NAME,
            "bases": search_bases(self.cfg),
            "candidates": [list(words) for words in self.pool],
            "weights_per_epoch": self.weight_history,
            "epochs_done": len(self.weight_history),
            "winner": list(self.pool[best]),
            "winner_weight": final[best],
        }
        write_json(result, self.result_file)
        print(f"Selected attributes: {', '.join(self.pool[best])} (weight {final[best]:.4f}) -> {self.result_file}")
