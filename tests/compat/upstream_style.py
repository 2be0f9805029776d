"""Trainer modules written the way MaPLe-family repositories write them, to check our CLIP runs them.

They use only what those files use: `clip.build_model(state_dict, design_details)`, the towers called
directly (`clip_model.transformer(x)` sequence-first, MaPLe's `[x, prompts, counter]`,
`visual(images, shared_ctx, deep_prompts)`), name filters on `"prompt_learner"` / `"VPT"` and
whole-model checkpoints. Written here in their call shapes, not copied; the device comes from the
trainer instead of `.cuda()`.
"""
import copy
import os.path as osp

import torch
from torch import nn
from torch.nn import functional as F

import clip
from dassl.engine import TRAINER_REGISTRY, TrainerX
from dassl.optim import build_lr_scheduler, build_optimizer
from dassl.utils import load_checkpoint


def load_clip_to_cpu(cfg, design_details):
    state_dict = torch.load(cfg.MODEL.BACKBONE.NAME, map_location="cpu")
    return clip.build_model(state_dict, design_details)


class TextEncoder(nn.Module):
    """CoOp's text encoder: sequence-first through `clip_model.transformer`, pooled at the EOT."""

    def __init__(self, clip_model):
        super().__init__()
        self.transformer = clip_model.transformer
        self.positional_embedding = clip_model.positional_embedding
        self.ln_final = clip_model.ln_final
        self.text_projection = clip_model.text_projection
        self.dtype = clip_model.dtype

    def run_transformer(self, x, deep_prompts):
        return self.transformer(x)

    def forward(self, prompts, tokenized_prompts, deep_prompts=None):
        x = (prompts + self.positional_embedding.type(self.dtype)).permute(1, 0, 2)
        x = self.run_transformer(x, deep_prompts).permute(1, 0, 2)
        x = self.ln_final(x).type(self.dtype)
        return x[torch.arange(x.shape[0]), tokenized_prompts.argmax(dim=-1)] @ self.text_projection


class MaPLeTextEncoder(TextEncoder):
    """MaPLe's: the deep prompts travel with the tokens as `[x, prompts, counter]`."""

    def run_transformer(self, x, deep_prompts):
        return self.transformer([x, deep_prompts, 0])[0]


class VLPromptLearner(nn.Module):
    """Shallow text context (CTX_INIT words when n_ctx <= 4) between SOT and the class name."""

    def __init__(self, n_ctx, ctx_init, classnames, clip_model):
        super().__init__()
        dtype = clip_model.dtype
        if ctx_init and n_ctx <= 4:
            with torch.no_grad():
                embedding = clip_model.token_embedding(clip.tokenize(ctx_init)).type(dtype)
            ctx_vectors, prefix_text = embedding[0, 1:1 + n_ctx], ctx_init
        else:
            ctx_vectors = nn.init.normal_(torch.empty(n_ctx, clip_model.ln_final.weight.shape[0], dtype=dtype), std=0.02)
            prefix_text = " ".join(["X"] * n_ctx)
        self.ctx = nn.Parameter(ctx_vectors)
        names = [name.replace("_", " ") for name in classnames]
        self.tokenized_prompts = clip.tokenize([f"{prefix_text} {name}." for name in names])
        with torch.no_grad():
            embedding = clip_model.token_embedding(self.tokenized_prompts).type(dtype)
        self.register_buffer("token_prefix", embedding[:, :1])
        self.register_buffer("token_suffix", embedding[:, 1 + n_ctx:])
        self.n_cls = len(names)

    def forward(self):
        ctx = self.ctx.unsqueeze(0).expand(self.n_cls, -1, -1)
        return torch.cat([self.token_prefix, ctx, self.token_suffix], dim=1)


class MultiModalPromptLearner(VLPromptLearner):
    """MaPLe's: deep text prompts and the linear maps that make the visual prompts from them."""

    def __init__(self, n_ctx, ctx_init, depth, classnames, clip_model):
        super().__init__(n_ctx, ctx_init, classnames, clip_model)
        width, visual_width = clip_model.ln_final.weight.shape[0], clip_model.visual.conv1.weight.shape[0]
        self.proj = nn.Linear(width, visual_width)
        self.compound_prompts_text = nn.ParameterList(
            nn.Parameter(nn.init.normal_(torch.empty(n_ctx, width), std=0.02)) for _ in range(depth - 1))
        projection = nn.Linear(width, visual_width)
        self.compound_prompt_projections = nn.ModuleList(copy.deepcopy(projection) for _ in range(depth - 1))

    def forward(self):
        visual_deep = [proj(prompt) for proj, prompt in zip(self.compound_prompt_projections, self.compound_prompts_text)]
        return super().forward(), self.proj(self.ctx), list(self.compound_prompts_text), visual_deep


class CustomCLIP(nn.Module):
    def __init__(self, clip_model, prompt_learner=None, fixed_text_features=None):
        super().__init__()
        self.prompt_learner = prompt_learner
        self.image_encoder = clip_model.visual
        self.text_encoder = TextEncoder(clip_model)
        self.logit_scale = clip_model.logit_scale
        self.dtype = clip_model.dtype
        if fixed_text_features is not None:
            self.register_buffer("fixed_text_features", fixed_text_features, persistent=False)

    def features(self, image):
        if self.prompt_learner is None:  # VPT: hand-written prompts on the text side
            text_features = self.fixed_text_features
        else:
            text_features = self.text_encoder(self.prompt_learner(), self.prompt_learner.tokenized_prompts)
        return self.image_encoder(image.type(self.dtype)), text_features

    def forward(self, image, label=None):
        image_features, text_features = self.features(image)
        image_features = image_features / image_features.norm(dim=-1, keepdim=True)
        text_features = text_features / text_features.norm(dim=-1, keepdim=True)
        logits = self.logit_scale.exp() * image_features @ text_features.t()
        return F.cross_entropy(logits, label) if label is not None else logits


class MaPLeCustomCLIP(CustomCLIP):
    def __init__(self, clip_model, prompt_learner):
        super().__init__(clip_model, prompt_learner)
        self.text_encoder = MaPLeTextEncoder(clip_model)

    def features(self, image):
        prompts, shared_ctx, deep_text, deep_vision = self.prompt_learner()
        text_features = self.text_encoder(prompts, self.prompt_learner.tokenized_prompts, deep_text)
        return self.image_encoder(image.type(self.dtype), shared_ctx, deep_vision), text_features


class UpstreamStyleTrainer(TrainerX):
    """Their build_model / forward_backward / load_model, shared by the three methods below."""

    section = ""
    registered_name = ""

    def design_details(self):
        raise NotImplementedError

    def build_custom_clip(self, clip_model, classnames):
        raise NotImplementedError

    def build_model(self):
        cfg = self.cfg
        clip_model = load_clip_to_cpu(cfg, self.design_details())
        if cfg.TRAINER[self.section].PREC != "fp16" or self.device.type == "cpu":
            clip_model.float()
        self.model = self.build_custom_clip(clip_model, self.dm.dataset.classnames)
        for name, param in self.model.named_parameters():
            param.requires_grad_("prompt_learner" in name or "VPT" in name)
        enabled = sorted(name for name, param in self.model.named_parameters() if param.requires_grad)
        print(f"Parameters to be updated: {enabled}")
        self.model.to(self.device)
        self.optim = build_optimizer(self.model, cfg.OPTIM)
        self.sched = build_lr_scheduler(self.optim, cfg.OPTIM)
        self.register_model(self.registered_name, self.model, self.optim, self.sched)

    def forward_backward(self, batch):
        image, label = batch["img"].to(self.device), batch["label"].to(self.device)
        loss = self.model(image, label)
        self.optim.zero_grad()
        loss.backward()
        self.optim.step()
        if (self.batch_idx + 1) == self.num_batches:
            self.update_lr()
        return {"loss": loss.item()}

    def load_model(self, directory, epoch=None):
        for name in self.get_model_names():
            path = osp.join(directory, name, f"model.pth.tar-{epoch}")
            state_dict = load_checkpoint(path)["state_dict"]
            for key in ("prompt_learner.token_prefix", "prompt_learner.token_suffix"):
                state_dict.pop(key, None)
            self._models[name].load_state_dict(state_dict, strict=False)


@TRAINER_REGISTRY.register()
class UpstreamMaPLe(UpstreamStyleTrainer):
    section, registered_name = "MAPLE", "MultiModalPromptLearner"

    def design_details(self):
        return {"trainer": "MaPLe", "vision_depth": 0, "language_depth": 0, "vision_ctx": 0, "language_ctx": 0,
                "maple_length": self.cfg.TRAINER.MAPLE.N_CTX}

    def build_custom_clip(self, clip_model, classnames):
        maple = self.cfg.TRAINER.MAPLE
        learner = MultiModalPromptLearner(maple.N_CTX, maple.CTX_INIT, maple.PROMPT_DEPTH, classnames, clip_model)
        return MaPLeCustomCLIP(clip_model, learner)


@TRAINER_REGISTRY.register()
class UpstreamIVLP(UpstreamStyleTrainer):
    section, registered_name = "IVLP", "VLPromptLearner"

    def design_details(self):
        ivlp = self.cfg.TRAINER.IVLP
        return {"trainer": "IVLP", "vision_depth": ivlp.PROMPT_DEPTH_VISION, "language_depth": ivlp.PROMPT_DEPTH_TEXT,
                "vision_ctx": ivlp.N_CTX_VISION, "language_ctx": ivlp.N_CTX_TEXT}

    def build_custom_clip(self, clip_model, classnames):
        ivlp = self.cfg.TRAINER.IVLP
        return CustomCLIP(clip_model, VLPromptLearner(ivlp.N_CTX_TEXT, ivlp.CTX_INIT, classnames, clip_model))


@TRAINER_REGISTRY.register()
class UpstreamVPT(UpstreamStyleTrainer):
    section, registered_name = "VPT", "prompt_learner"

    def design_details(self):
        vpt = self.cfg.TRAINER.VPT
        return {"trainer": "VPT", "vision_depth": vpt.PROMPT_DEPTH_VISION, "vision_ctx": vpt.N_CTX_VISION,
                "language_depth": 0, "language_ctx": 0}

    def build_custom_clip(self, clip_model, classnames):
        names = [name.replace("_", " ") for name in classnames]
        with torch.no_grad():
            fixed = clip_model.encode_text(clip.tokenize([f"a photo of a {name}." for name in names]))
        return CustomCLIP(clip_model, fixed_text_features=fixed)
