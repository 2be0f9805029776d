"""Wiring shared by every CLIP prompt learner: CLIP set-up, registration, train step, inference, loading."""
import os

import torch
from torch.nn import functional as F

from clip.design import DesignError
from dassl.config import ConfigError
from dassl.engine import TrainerX
from dassl.engine.distributed import average_gradients
from dassl.metrics import compute_accuracy
from dassl.optim import build_lr_scheduler, build_optimizer
from dassl.utils import load_checkpoint, load_pretrained_weights

from .amp import grad_scaler, precision_autocast
from .cached_test_features import CachedTestFeatures
from .cached_train_features import CachedTrainFeatures
from .checkpoint import checkpoint_path, require_learned_tensors, without_class_buffers
from .clip_setup import load_clip
from .eval_cache import EvaluationCache
from .logits import cosine_logits
from .precision import PRECISIONS, effective_precision
from .prompt_layout import build_prompt_layout
from .text_encoder import TextEncoder


def check_input_size(cfg, clip_model):
    """Upstream's prompt learners assert it: a mismatch would only fail deep inside the image tower."""
    resolution = clip_model.visual.input_resolution
    if cfg.INPUT.SIZE[0] != resolution:
        raise ConfigError(f"INPUT.SIZE {tuple(cfg.INPUT.SIZE)} does not match the input resolution {resolution} of "
                         f"MODEL.BACKBONE.NAME {cfg.MODEL.BACKBONE.NAME}; set INPUT.SIZE ({resolution}, {resolution})")


class PromptTrainer(CachedTrainFeatures, CachedTestFeatures, TrainerX):
    """Base of the prompt-learning trainers.

    A subclass says which learnable module exists (`build_learner`) and how features are formed
    (`encode_images`, `class_text_features`); the loss lives in `compute_loss` and test logits in
    `model_inference`, so plug-in mixins can override either for any baseline. A baseline's loss term
    on its class text features (KgCoOp's) lives in `text_feature_loss`: a training step adds it to
    whatever `compute_loss` returns, the plug-ins' losses included.
    """

    config_section = "COOP"  # TRAINER.<section> holds N_CTX, CTX_INIT and PREC of the method
    learner_name = "prompt_learner"  # registered module name = checkpoint folder name
    prompt_layout = "plain"  # key of the layout in trainers.parts.prompt_layout.PROMPT_LAYOUTS
    log_accuracy = True  # whether the per-batch line reports the batch accuracy
    check_finite_loss = True  # CoOp raises on a NaN/inf loss; upstream CoCoOp, MaPLe and DePT step regardless
    _text_feature_losses = None  # terms of `text_feature_loss` collected during one training step
    _frozen_image_features = (None, None)  # (images, their frozen features) of the last batch asked about

    def check_cfg(self, cfg):
        prec = cfg.TRAINER[self.config_section].PREC
        if prec not in PRECISIONS:
            raise ConfigError(f"TRAINER.{self.config_section}.PREC must be one of {PRECISIONS}, got {prec!r}")

    @property
    def method_cfg(self):
        return self.cfg.TRAINER[self.config_section]

    @property
    def logit_scale(self):
        return self.clip_model.logit_scale

    @property
    def dtype(self):
        return self.clip_model.dtype

    def build_model(self):
        cfg = self.cfg
        self.precision = effective_precision(self.method_cfg.PREC, self.device)
        try:
            self.clip_model = load_clip(cfg, self.method_cfg.PREC, self.device, self.clip_design())
        except DesignError as error:
            raise ConfigError(f"TRAINER.{self.config_section} prompt settings: {error}") from error
        check_input_size(cfg, self.clip_model)
        options = cfg.TRAINER.TEXT_ENCODER
        self.text_encoder = TextEncoder(self.clip_model, options.TRUNCATE_AT_EOT, options.SHARE_PREFIX)
        self.eval_cache = EvaluationCache(enabled=cfg.TRAINER.TEXT_FEATURES_ONCE_PER_EVAL)
        print("Building custom CLIP")
        learner = self.build_learner(self.dm.dataset.classnames).to(self.device)
        self.select_trainable(learner)
        trainable = sorted(name for name, p in learner.named_parameters() if p.requires_grad)
        print(f"Parameters to be updated: {trainable}")
        print(f"# trainable params: {sum(p.numel() for p in learner.parameters() if p.requires_grad):,}")
        if cfg.MODEL.INIT_WEIGHTS:
            load_pretrained_weights(learner, cfg.MODEL.INIT_WEIGHTS)
        self.model = learner
        optim = self.build_optimizer(learner)
        self.register_model(self.learner_name, learner, optim, build_lr_scheduler(optim, cfg.OPTIM))
        self.scaler = grad_scaler(self.device) if self.precision == "amp" else None

    def clip_design(self):
        """`design_details` of the CLIP this method needs (None: OpenAI's; PromptSRC's has IVLP prompts)."""
        return None

    @property
    def soft_token_count(self):
        """Class soft tokens of the method's text prompt (the N a plug-in layout is built with)."""
        return self.method_cfg.N_CTX

    def build_layout(self, classnames, context):
        return build_prompt_layout(self.cfg, classnames, self.clip_model, context, layout=self.prompt_layout)

    def build_learner(self, classnames):
        """The registered module holding every learnable tensor (its state-dict keys are upstream's)."""
        raise NotImplementedError

    def select_trainable(self, learner):
        """Hook to freeze part of the learner; by default all of it trains."""

    def build_optimizer(self, learner):
        return build_optimizer(learner, self.cfg.OPTIM)

    def encode_images(self, images):
        if self.serving_cached_features:
            return images
        return self.encode_image_tower(images)

    def encode_image_tower(self, images):
        return self.clip_model.encode_image(images.type(self.dtype))

    @torch.no_grad()
    def frozen_image_features(self, images):
        """Image features [B, E] of the frozen CLIP: no prompt, not even the ones the model owns (IVLP).

        Kept for the batch last asked about, so the parts of one step that need them (AnchorOPT's frozen
        branch, PromptSRC's self-regularisation) run the image tower once."""
        seen_images, features = self._frozen_image_features
        if seen_images is not images:
            features = self.clip_model.encode_image(images.type(self.dtype), own_prompts=False)
            self._frozen_image_features = (images, features)
        return features

    def class_text_features(self):
        """Raw text features [C, E] of the current prompts."""
        return self.encode_prompts(*self.prompt_learner())

    def encode_prompts(self, embeddings, pool_index, block_hook=None, layout=None):
        """Text features [..., C, E] of the prompts of `layout` (default: the trainer's), telling the
        encoder what the classes share."""
        shared = (layout or self.prompt_learner).shared_prefix_length
        features = self.text_encoder(embeddings, pool_index, block_hook=block_hook, shared_prefix=shared)
        if layout is None and self._text_feature_losses is not None:
            term = self.text_feature_loss(features)
            if term is not None:
                self._text_feature_losses.append(term)
        return features

    def text_feature_loss(self, text_features):
        """Hook: a loss term on the raw class text features [C, E] of the trainer's prompts in a training
        step (KgCoOp's knowledge-guided term), or None. It sees the very features the step's logits use,
        so a plug-in's loss gains the term without knowing of it."""
        return None

    def logits(self, images, text_features=None):
        if text_features is None:
            text_features = self.class_text_features()
        return cosine_logits(self.encode_images(images), text_features, self.logit_scale)

    def compute_loss(self, images, labels):
        """(loss, summary dict of floats) of one training batch."""
        logits = self.logits(images)
        loss = F.cross_entropy(logits, labels)
        return loss, self.loss_summary(loss, logits, labels)

    def training_loss(self, images, labels):
        """`compute_loss` plus the `text_feature_loss` terms of the prompts it encoded; the summary's
        "loss" is the total."""
        self._text_feature_losses = []
        try:
            loss, summary = self.compute_loss(images, labels)
            extra_terms = self._text_feature_losses
        finally:
            self._text_feature_losses = None
        if extra_terms:
            loss = loss + sum(extra_terms)
            summary["loss"] = loss.item()
        return loss, summary

    def loss_summary(self, loss, logits, labels):
        summary = {"loss": loss.item()}
        if self.log_accuracy:
            summary["acc"] = compute_accuracy(logits, labels)[0].item()
        return summary

    def model_inference(self, images):
        text_features = self.eval_cache.get("class_text_features", self.class_text_features)
        return self.logits(images, text_features)

    def forward_backward(self, batch):
        images, labels = self.parse_batch_train(batch)
        with precision_autocast(self.precision, self.device):
            loss, summary = self.training_loss(images, labels)
        if self.scaler is None:
            self.model_backward_and_update(loss)
        else:
            self.scaled_backward_and_update(loss)
        if (self.batch_idx + 1) == self.num_batches:
            self.update_lr()
        return summary

    def detect_anomaly(self, loss):
        if self.check_finite_loss:
            super().detect_anomaly(loss)

    def scaled_backward_and_update(self, loss):
        self.model_zero_grad()
        self.detect_anomaly(loss)
        self.scaler.scale(loss).backward()
        average_gradients(self._models[name] for name in self.get_model_names())
        for name in self.get_model_names():
            if self._optims[name] is not None:
                self.scaler.step(self._optims[name])
        self.scaler.update()

    def test(self, split=None, is_final=False):
        with self.eval_cache.active():
            return super().test(split=split, is_final=is_final)

    def load_model(self, directory, epoch=None):
        """Load learned weights only: token buffers are rebuilt for the current classes (spec 3.2)."""
        if not directory:
            print("Note that load_model() is skipped as no pretrained model is given")
            return
        for name in self.get_model_names():
            path = checkpoint_path(os.path.join(directory, name), epoch)
            checkpoint = load_checkpoint(path)
            module = self._models[name]
            state_dict = self.adapt_loaded_state(without_class_buffers(checkpoint["state_dict"], module))
            require_learned_tensors(module, state_dict, path)
            print(f'Loading weights to {name} from "{path}" (epoch = {checkpoint["epoch"]})')
            module.load_state_dict(state_dict, strict=False)

    def adapt_loaded_state(self, state_dict):
        """Hook to reshape loaded tensors for the current dataset (DePT slices its head)."""
        return state_dict
