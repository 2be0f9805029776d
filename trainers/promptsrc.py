"""PromptSRC (Khattak et al., ICCV 2023): IVLP deep prompts regularised toward frozen CLIP, averaged over epochs.

Loss = CE + L1(text features, frozen 60-template text features) * TEXT_LOSS_WEIGHT
          + L1(image features, frozen image features) * IMAGE_LOSS_WEIGHT + KL(frozen logits || logits);
after the last epoch the prompts are replaced by their Gaussian-weighted sum over epochs (GPA).
"""
import torch
from torch import nn
from torch.nn import functional as F

from clip.build import infer_config
from clip.model import CLIP
from dassl.engine import TRAINER_REGISTRY

from .config import config_extension, section
from .parts.ivlp import check_text_depth, ivlp_design, owned_prompt_modules
from .parts.logits import cosine_logits, l2_normalize, scaled_similarity
from .parts.prompt_aggregation import GaussianPromptAggregate, gaussian_epoch_weights
from .parts.prompt_layout import prefix_context
from .parts.prompt_trainer import PromptTrainer
from .parts.templates import PROMPTSRC_TEMPLATES
from .parts.zero_shot import mean_template_features


@config_extension
def add_promptsrc_keys(cfg):
    src = section(cfg.TRAINER, "PROMPTSRC")
    src.N_CTX_VISION = 4  # visual prompt tokens per layer
    src.N_CTX_TEXT = 4  # text prompt tokens per layer
    src.CTX_INIT = ""  # words initialising the text context when N_CTX_TEXT <= 4 (their configs: "a photo of a")
    src.PREC = "fp16"  # fp16, fp32 or amp
    src.PROMPT_DEPTH_VISION = 9  # vision layers 0..d-1 carry prompts (0: no visual prompts)
    src.PROMPT_DEPTH_TEXT = 9  # text layers 0..d-1 carry prompts (>= 1)
    src.TEXT_LOSS_WEIGHT = 25  # weight of L1(prompted, frozen template-mean text features)
    src.IMAGE_LOSS_WEIGHT = 10  # weight of L1(prompted, frozen image features)
    src.GPA_MEAN = 15  # mean of the Gaussian over epochs 1..MAX_EPOCH weighting the aggregated prompts
    src.GPA_STD = 1  # its standard deviation
    # True: consume the RNG as upstream's two extra frozen-CLIP builds do (keeps its data order per seed)
    src.REPLAY_UPSTREAM_DRAWS = True


@TRAINER_REGISTRY.register()
class PromptSRC(PromptTrainer):
    config_section = "PROMPTSRC"
    learner_name = "VLPromptLearner"
    log_accuracy = False
    check_finite_loss = False  # upstream steps its optimizer directly
    frozen_image_encoder = False  # visual prompts change the image features: no feature cache
    frozen_builds_replayed = 2  # upstream builds a frozen CLIP for its text target and one for its images
    prompted = None  # (image features, text features, logits) of the last prompted forward

    @property
    def soft_token_count(self):
        return self.method_cfg.N_CTX_TEXT

    def clip_design(self):
        src = self.method_cfg
        check_text_depth(self.config_section, src.PROMPT_DEPTH_TEXT)
        return ivlp_design(self.soft_token_count, src.PROMPT_DEPTH_TEXT, src.N_CTX_VISION, src.PROMPT_DEPTH_VISION)

    def build_learner(self, classnames):
        """The text layout plus CLIP's own deep prompts, saved under upstream's names."""
        self.prompt_learner = self.build_layout(classnames, prefix_context(self.soft_token_count,
                                                                           self.method_cfg.CTX_INIT))
        if self.method_cfg.REPLAY_UPSTREAM_DRAWS:
            for _ in range(self.frozen_builds_replayed):
                CLIP(**infer_config(self.clip_model.state_dict()))
        self.frozen_text_units = None
        return nn.ModuleDict({"prompt_learner": self.prompt_learner, **owned_prompt_modules(self.clip_model)})

    def build_model(self):
        super().build_model()
        src = self.method_cfg
        weights = gaussian_epoch_weights(self.cfg.OPTIM.MAX_EPOCH, src.GPA_MEAN, src.GPA_STD)
        self.prompt_aggregate = GaussianPromptAggregate(weights)

    def class_text_features(self):
        embeddings, pool_index = self.prompt_learner()
        hook = self.prompt_learner.deep_text_hook(self.clip_model.transformer.owned_prompts())
        return self.encode_prompts(embeddings, pool_index, block_hook=hook)

    def logits(self, images, text_features=None):
        """Prompted logits; the features behind them are kept for the self-regularisation of this step."""
        if text_features is None:
            text_features = self.class_text_features()
        image_features = self.encode_images(images)
        logits = cosine_logits(image_features, text_features, self.logit_scale)
        self.prompted = (image_features, text_features, logits)
        return logits

    def frozen_text_target(self):
        """Unit-norm mean of frozen CLIP's features over the 60 templates, per class (encoded at first use)."""
        if self.frozen_text_units is None:
            features = mean_template_features(self.clip_model, self.prompt_learner.classnames, PROMPTSRC_TEMPLATES)
            self.frozen_text_units = l2_normalize(features)
        return self.frozen_text_units

    def self_regularisation(self, images):
        """L_SCL of the last prompted forward: L1 on text and image features, KL on logits."""
        src = self.method_cfg
        image_features, text_features, logits = self.prompted
        self.prompted = None
        text_target = self.frozen_text_target()
        frozen_images = l2_normalize(self.frozen_image_features(images))
        frozen_logits = scaled_similarity(frozen_images, text_target.to(frozen_images.dtype), self.logit_scale)
        text_loss = F.l1_loss(l2_normalize(text_features), text_target) * src.TEXT_LOSS_WEIGHT
        image_loss = F.l1_loss(l2_normalize(image_features), frozen_images) * src.IMAGE_LOSS_WEIGHT
        logits_loss = F.kl_div(F.log_softmax(logits, dim=1), F.log_softmax(frozen_logits, dim=1),
                               reduction="sum", log_target=True) / logits.numel()
        return logits_loss + text_loss + image_loss

    def compute_loss(self, images, labels):
        loss, summary = super().compute_loss(images, labels)
        return self.add_self_regularisation(loss, summary, images)

    def add_self_regularisation(self, loss, summary, images):
        loss = loss + self.self_regularisation(images)
        summary["loss"] = loss.item()
        return loss, summary

    def forward_backward(self, batch):
        summary = super().forward_backward(batch)
        if (self.batch_idx + 1) == self.num_batches:
            self.aggregate_prompts()
        return summary

    @torch.no_grad()
    def aggregate_prompts(self):
        """GPA: add this epoch's prompts with their Gaussian weight; after the last, use the aggregate."""
        learned = {name: p for name, p in self.model.named_parameters() if p.requires_grad}
        self.prompt_aggregate.add(self.epoch, learned)
        if self.epoch + 1 == self.max_epoch:
            print("Using GPA model for final inference...")
            for name, parameter in learned.items():
                parameter.copy_(self.prompt_aggregate.total[name])
