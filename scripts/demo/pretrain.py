"""Contrastive pretraining of a tiny CLIP on the base combinations of the procedural world.

The model is our ``clip.model.CLIP`` at a tiny size and is saved as a plain OpenAI-format state
dict, so ``clip.load(path)`` and ``MODEL.BACKBONE.NAME <path>`` use it like a released CLIP.
Captions name random subsets of a class's attributes; a caption counts as a match for every
image in the batch it describes (multi-positive targets), so partial captions are not punished
for also fitting other images. Images of every combination are shown, as a web-scale CLIP has seen
the papers' novel categories, but a novel combination is never named in full: its captions name
at most two of its attributes, so its class name is a composition the text side never saw.
"""
import math
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F

import clip
from clip import tiny
from clip.model import CLIP
from clip.transform import CLIP_MEAN, CLIP_STD

from .captions import caption_variants, class_caption
from .world import ATTRIBUTE_KINDS, image_rng, render

MAX_LOGIT_SCALE = math.log(100.0)


@dataclass(frozen=True)
class TinyClipSize:
    """Constructor arguments of ``clip.model.CLIP`` (heads follow OpenAI's width // 64): a 4x4
    patch grid on 32 px images. Built with OpenAI's initialisation rather than ``clip.tiny``'s
    random state dicts, whose perturbed norms suit tests but pretrain worse."""

    embed_dim: int = 64
    image_resolution: int = 32
    vision_layers: int = 2
    vision_width: int = 128
    vision_patch_size: int = 8
    context_length: int = 77
    vocab_size: int = tiny.OPENAI_VOCAB_SIZE
    transformer_width: int = 64
    transformer_layers: int = 2

    def build(self, seed):
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return CLIP(transformer_heads=self.transformer_width // 64, **asdict(self))


@dataclass(frozen=True)
class PretrainSettings:
    steps: int = 750
    batch_size: int = 128
    lr: float = 2e-3
    weight_decay: float = 0.05
    warmup_steps: int = 50
    images_per_class: int = 60  # of every combination, novel ones included
    full_caption_share: float = 0.2


def normalize_images(pixels):
    """uint8 [N, H, W, 3] -> the float tensor the Dassl test pipeline feeds CLIP."""
    images = torch.from_numpy(np.ascontiguousarray(pixels)).permute(0, 3, 1, 2).float() / 255.0
    mean = torch.tensor(CLIP_MEAN).view(1, 3, 1, 1)
    std = torch.tensor(CLIP_STD).view(1, 3, 1, 1)
    return (images - mean) / std


def render_images(classes, per_class, seed, split, size):
    """``(images, class positions)``: ``per_class`` renderings of each class, normalised."""
    pixels = [render(spec, image_rng(seed, split, spec.label, i), size) for spec in classes for i in range(per_class)]
    positions = torch.arange(len(classes)).repeat_interleave(per_class)
    return normalize_images(np.stack(pixels)), positions


def attribute_codes(classes):
    """[C, 3] integer code of each class's colour, texture and shape."""
    values = {kind: sorted({spec.attributes()[kind] for spec in classes}) for kind in ATTRIBUTE_KINDS}
    return torch.tensor([[values[kind].index(spec.attributes()[kind]) for kind in ATTRIBUTE_KINDS]
                         for spec in classes])


class CaptionBank:
    """All pretraining captions of the classes, tokenised once, with what each one mentions.

    Classes in ``unnamed`` (the novel ones) get only captions naming at most two attributes.
    """

    def __init__(self, classes, full_caption_share, unnamed=()):
        texts, positions, mentions, weights = [], [], [], []
        for position, spec in enumerate(classes):
            named = spec not in unnamed
            variants = caption_variants(spec, len(ATTRIBUTE_KINDS) if named else len(ATTRIBUTE_KINDS) - 1)
            n_full = sum(len(mentioned) == len(ATTRIBUTE_KINDS) for _, mentioned in variants)
            for text, mentioned in variants:
                full = len(mentioned) == len(ATTRIBUTE_KINDS)
                share = 1.0 if not named else full_caption_share if full else 1.0 - full_caption_share
                texts.append(text)
                positions.append(position)
                mentions.append([kind in mentioned for kind in ATTRIBUTE_KINDS])
                weights.append(share / (n_full if full else len(variants) - n_full))
        self.texts = texts
        self.tokens = clip.tokenize(texts)
        self.class_position = torch.tensor(positions)
        self.mentions = torch.tensor(mentions)
        self.weights = torch.tensor(weights, dtype=torch.float64)

    def sample_for(self, class_positions, generator):
        """One caption index per image, drawn among its class's captions by the share weights."""
        indices = torch.empty_like(class_positions)
        for position in class_positions.unique():
            rows = (class_positions == position).nonzero(as_tuple=True)[0]
            candidates = (self.class_position == position).nonzero(as_tuple=True)[0]
            picks = torch.multinomial(self.weights[candidates], len(rows), replacement=True, generator=generator)
            indices[rows] = candidates[picks]
        return indices


def match_targets(image_codes, caption_codes, caption_mentions):
    """[B_img, B_txt] 1.0 where the caption's mentioned attributes all agree with the image."""
    agree = image_codes[:, None, :] == caption_codes[None, :, :]
    return (agree | ~caption_mentions[None, :, :]).all(dim=-1).float()


def multi_positive_loss(logits, targets):
    """Symmetric cross-entropy against uniform targets over each row's matches."""
    image_to_text = -(targets / targets.sum(1, keepdim=True) * logits.log_softmax(1)).sum(1).mean()
    text_to_image = -(targets.t() / targets.t().sum(1, keepdim=True) * logits.t().log_softmax(1)).sum(1).mean()
    return (image_to_text + text_to_image) / 2


def encode_tokens(model, tokens):
    """Text features from token ids, truncated after the last EOT (exact under the causal mask)."""
    return model.encode_text_embeddings(model.token_embedding(tokens), tokens.argmax(dim=-1))


def contrastive_logits(model, images, tokens):
    image_features = F.normalize(model.encode_image(images), dim=-1)
    text_features = F.normalize(encode_tokens(model, tokens), dim=-1)
    return model.logit_scale.exp() * image_features @ text_features.t()


def learning_rate(step, settings):
    """Linear warm-up, then cosine decay to zero."""
    if step < settings.warmup_steps:
        return settings.lr * (step + 1) / settings.warmup_steps
    progress = (step - settings.warmup_steps) / max(1, settings.steps - settings.warmup_steps)
    return settings.lr * 0.5 * (1 + math.cos(math.pi * progress))


def build_optimizers(model, settings):
    """AdamW for the network, SparseAdam for the 49k-row token table: only the few dozen words of
    the captions get gradients, and a dense update of the whole table would dominate a CPU step."""
    table = model.token_embedding.weight
    rest = [p for p in model.parameters() if p is not table]
    decay = [p for p in rest if p.ndim >= 2]
    no_decay = [p for p in rest if p.ndim < 2]
    network = torch.optim.AdamW([{"params": decay, "weight_decay": settings.weight_decay},
                                 {"params": no_decay, "weight_decay": 0.0}], lr=settings.lr)
    return [network, torch.optim.SparseAdam([table], lr=settings.lr)]


def pretrain(model, classes, images, class_positions, settings, seed, log_every=0, unnamed=()):
    """Train ``model`` in place on ``images`` of ``classes`` (``unnamed`` ones never named in full);
    returns the loss of every step."""
    generator = torch.Generator().manual_seed(seed)
    bank = CaptionBank(classes, settings.full_caption_share, unnamed)
    codes = attribute_codes(classes)
    optimizers = build_optimizers(model, settings)
    model.train()
    model.token_embedding.sparse = True
    try:
        return train_steps(model, bank, codes, optimizers, images, class_positions, settings, generator, log_every)
    finally:
        model.token_embedding.sparse = False
        model.eval()


def train_steps(model, bank, codes, optimizers, images, class_positions, settings, generator, log_every):
    losses = []
    for step in range(settings.steps):
        for optimizer in optimizers:
            for group in optimizer.param_groups:
                group["lr"] = learning_rate(step, settings)
        batch = torch.randint(len(images), (settings.batch_size,), generator=generator)
        batch_images = images[batch]
        flip = torch.rand(settings.batch_size, generator=generator) < 0.5
        batch_images[flip] = batch_images[flip].flip(-1)
        image_positions = class_positions[batch]
        captions = bank.sample_for(image_positions, generator)
        targets = match_targets(codes[image_positions], codes[bank.class_position[captions]], bank.mentions[captions])
        loss = multi_positive_loss(contrastive_logits(model, batch_images, bank.tokens[captions]), targets)
        for optimizer in optimizers:
            optimizer.zero_grad(set_to_none=True)
        loss.backward()
        for optimizer in optimizers:
            optimizer.step()
        with torch.no_grad():
            model.logit_scale.clamp_(0, MAX_LOGIT_SCALE)
        losses.append(loss.item())
        if log_every and (step + 1) % log_every == 0:
            print(f"pretrain step [{step + 1}/{settings.steps}] loss {np.mean(losses[-log_every:]):.4f}", flush=True)
    return losses


@torch.no_grad()
def zero_shot_accuracy(model, classes, images, class_positions):
    """Top-1 accuracy (%) among ``classes`` with the prompt "a photo of a {class}."."""
    model.eval()
    text_features = F.normalize(encode_tokens(model, clip.tokenize([class_caption(s) for s in classes])), dim=-1)
    image_features = F.normalize(model.encode_image(images), dim=-1)
    predictions = (image_features @ text_features.t()).argmax(dim=1)
    return 100.0 * (predictions == class_positions).float().mean().item()


def save_state_dict(model, path):
    """A plain OpenAI-format state dict (fp32 tensors), written atomically."""
    tiny.save_state_dict({key: value.detach().cpu().clone() for key, value in model.state_dict().items()}, path)
