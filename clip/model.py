"""CLIP modules (ViT / ModifiedResNet image towers, causal text transformer) with prompt hooks.

Module names, construction order and random initialisation follow OpenAI's release so that the
official state-dict keys load unchanged and building a model consumes the torch RNG exactly as the
reference does. Transformers take and return sequence-first tensors, as OpenAI's and upstream's
trainers call them, on the same memory layouts as the reference, so fp16 results match it bit for bit
(half-precision kernels round differently on other layouts); the encoders take batch-first input.
Prompt hooks see batch-first views. `design_details` (see `clip.design`) adds upstream's
MaPLe-family prompt protocols on the same blocks.
"""
import math
from collections import OrderedDict
from typing import Callable, Optional, Sequence, Union

import torch
import torch.nn.functional as F
from torch import nn

from .design import PromptDesign
from .prompt_hooks import ReplaceTokens

BlockHook = Callable[[int, torch.Tensor], torch.Tensor]


class LayerNorm(nn.LayerNorm):
    """Normalises in fp32 (weights stay fp32 in the fp16 model) and returns the input dtype."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return super().forward(x.float()).to(x.dtype)


class QuickGELU(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * torch.sigmoid(1.702 * x)


def learnable_prompt(tokens: int, width: int) -> nn.Parameter:
    """IVLP/VPT prompt owned by the model: normal(0, 0.02), fp32 (created before the fp16 conversion)."""
    return nn.Parameter(nn.init.normal_(torch.empty(tokens, width), std=0.02))


class ResidualAttentionBlock(nn.Module):
    """OpenAI's block; with `prompt_tokens` it owns IVLP's deep prompt `VPT_shallow` [n, width], which
    its transformer writes into the block's input through the block hook (drawn last, as upstream)."""

    def __init__(self, width: int, heads: int, prompt_tokens: int = 0):
        super().__init__()
        self.attn = nn.MultiheadAttention(width, heads)
        self.ln_1 = LayerNorm(width)
        self.mlp = nn.Sequential(OrderedDict([
            ("c_fc", nn.Linear(width, width * 4)),
            ("gelu", QuickGELU()),
            ("c_proj", nn.Linear(width * 4, width)),
        ]))
        self.ln_2 = LayerNorm(width)
        if prompt_tokens:
            self.VPT_shallow = learnable_prompt(prompt_tokens, width)

    def forward(self, x: torch.Tensor, attn_mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        normed = self.ln_1(x)
        x = x + self.attn(normed, normed, normed, need_weights=False, attn_mask=attn_mask)[0]
        return x + self.mlp(self.ln_2(x))

    def forward_after_prefix(self, prefix: torch.Tensor, suffix: torch.Tensor) -> torch.Tensor:
        """This block on causal continuations `suffix` [G, C, m, D] of one shared `prefix` [k, G, D] per group.

        Equals running every full sequence `[prefix; suffix[g, c]]` and keeping its last m positions:
        each suffix token attends to the group's prefix keys/values (computed once, not C times) and,
        causally, to its own row. `prefix` is this block's input (sequence-first, as `forward` takes).
        """
        width, heads = prefix.shape[-1], self.attn.num_heads
        weight, bias = self.attn.in_proj_weight, self.attn.in_proj_bias
        prefix_kv = F.linear(self.ln_1(prefix).permute(1, 0, 2), weight[width:], bias[width:])
        prefix_keys, prefix_values = (t.unflatten(-1, (heads, -1)).transpose(1, 2) for t in prefix_kv.chunk(2, -1))
        query, keys, values = (t.unflatten(-1, (heads, -1)).permute(0, 3, 1, 2, 4)
                               for t in F.linear(self.ln_1(suffix), weight, bias).chunk(3, -1))
        groups, _, rows, length, head_width = query.shape
        query = query * head_width ** -0.5
        to_prefix = (query.flatten(2, 3) @ prefix_keys.transpose(-1, -2)).unflatten(2, (rows, length))
        to_suffix = query @ keys.transpose(-1, -2) + causal_mask(length, query.dtype, query.device)
        weights = torch.cat([to_prefix, to_suffix], dim=-1).float().softmax(dim=-1).to(query.dtype)
        prefix_length = prefix.shape[0]
        mixed = (weights[..., :prefix_length].flatten(2, 3) @ prefix_values).unflatten(2, (rows, length))
        mixed = mixed + weights[..., prefix_length:] @ values
        suffix = suffix + self.attn.out_proj(mixed.permute(0, 2, 3, 1, 4).flatten(-2))
        return suffix + self.mlp(self.ln_2(suffix))


class Transformer(nn.Module):
    """A stack of residual blocks on sequence-first [L, N, D], as OpenAI's and upstream's trainers call it.

    `causal` (the text tower) applies the causal mask. `block_hook(i, x)` may rewrite the input of
    block i (it sees the batch-first view; what it writes is laid out sequence-first again, as the
    reference's MaPLe blocks concatenate). Blocks 1..prompt_depth-1 own IVLP deep prompts of
    `prompt_tokens` rows, written by `own_prompt_hook` unless the caller says otherwise. MaPLe's call
    shape `[x, deep_prompts, counter]` is accepted and answered in kind.
    """

    def __init__(self, width: int, layers: int, heads: int, causal: bool = False,
                 prompt_tokens: int = 0, prompt_depth: int = 0, maple_length: int = 0):
        super().__init__()
        self.width = width
        self.layers = layers
        self.causal = causal
        self.maple_length = maple_length
        self.resblocks = nn.Sequential(*[
            ResidualAttentionBlock(width, heads, prompt_tokens if 1 <= index < prompt_depth else 0)
            for index in range(layers)])

    @property
    def prompt_start(self) -> int:
        """Deep prompts overwrite positions 1.. of text (after SOT) and the last tokens of images."""
        return 1 if self.causal else -self.prompt_rows

    @property
    def prompt_rows(self) -> int:
        owned = self.owned_prompts()
        return owned[0].shape[0] if owned else 0

    def owned_prompts(self):
        """The blocks' own deep prompts (IVLP/VPT), block 1 first; empty for a plain or MaPLe model."""
        return [block.VPT_shallow for block in self.resblocks if hasattr(block, "VPT_shallow")]

    def own_prompt_hook(self) -> Optional[ReplaceTokens]:
        owned = self.owned_prompts()
        return ReplaceTokens(self.prompt_start, owned) if owned else None

    def resolve_hook(self, block_hook: Optional[BlockHook], own_prompts: bool) -> Optional[BlockHook]:
        """The caller's hook or the blocks' own prompts; both at once would be ambiguous."""
        owned = self.own_prompt_hook() if own_prompts else None
        if block_hook is not None and owned is not None:
            raise ValueError("This transformer's blocks own deep prompts (design_details IVLP/VPT): pass "
                             "own_prompts=False to write them (or others) with your own block_hook")
        return owned if block_hook is None else block_hook

    def forward(self, x, block_hook: Optional[BlockHook] = None, own_prompts: bool = True):
        if isinstance(x, (list, tuple)):
            return self.forward_maple(*x)
        block_hook = self.resolve_hook(block_hook, own_prompts)
        if block_hook is not None:
            check_hook_depth(block_hook, self.layers)
        mask = causal_mask(x.shape[0], x.dtype, x.device) if self.causal else None
        for index, block in enumerate(self.resblocks):
            if block_hook is not None:
                x = apply_hook(block_hook, index, x)
            x = block(x, mask)
        return x

    def forward_maple(self, x: torch.Tensor, deep_prompts: Sequence[torch.Tensor], counter: int):
        """MaPLe's protocol: blocks 1, 2, ... consume `deep_prompts[counter:]`; returns the list back."""
        remaining = list(deep_prompts)[counter:]
        rows = {prompt.shape[-2] for prompt in remaining}
        if self.maple_length and rows - {self.maple_length}:
            raise ValueError(f"MaPLe deep prompts have {sorted(rows)} rows but design_details maple_length is "
                             f"{self.maple_length}")
        start = 1 if self.causal else -max(rows, default=1)
        x = self.forward(x, block_hook=ReplaceTokens(start, remaining))
        return [x, deep_prompts, counter + len(remaining)]

    def forward_shared_prefix(self, prefix: torch.Tensor, suffix: torch.Tensor,
                              block_hook: Optional[BlockHook] = None, own_prompts: bool = True) -> torch.Tensor:
        """Causal stack on sequences `[prefix[g]; suffix[g, c]]` whose first k tokens are shared by a group.

        `prefix` [G, k, D], `suffix` [G, C, m, D] -> suffix outputs [G, C, m, D]. A hook runs on the
        prefix only, so it must write nothing past it (the caller checks its `window_end`).
        """
        block_hook = self.resolve_hook(block_hook, own_prompts)
        if block_hook is not None:
            check_hook_depth(block_hook, self.layers)
        prefix = prefix.permute(1, 0, 2)
        mask = causal_mask(prefix.shape[0], prefix.dtype, prefix.device)
        for index, block in enumerate(self.resblocks):
            if block_hook is not None:
                prefix = apply_hook(block_hook, index, prefix)
            suffix = block.forward_after_prefix(prefix, suffix)
            prefix = block(prefix, mask)
        return suffix


def apply_hook(block_hook: BlockHook, index: int, x: torch.Tensor) -> torch.Tensor:
    """Run a batch-first hook on the sequence-first `x`; a rewritten sequence comes back contiguous."""
    batch_first = x.permute(1, 0, 2)
    written = block_hook(index, batch_first)
    if written is batch_first:
        return x
    return written.to(x.dtype).permute(1, 0, 2).contiguous()


def check_hook_depth(block_hook: BlockHook, layers: int) -> None:
    """A hook that declares `deepest_layer` must fit in the stack (upstream silently ignored extras)."""
    deepest = getattr(block_hook, "deepest_layer", 0)
    if deepest >= layers:
        raise ValueError(
            f"Deep prompts reach block {deepest} but the transformer has only {layers} blocks: "
            f"give at most {layers - 1} deep prompts (prompt depth <= {layers})")


def causal_mask(length: int, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    """Additive mask: -inf strictly above the diagonal, so token i attends to tokens 0..i."""
    return torch.full((length, length), float("-inf"), dtype=dtype, device=device).triu(1)


class Bottleneck(nn.Module):
    """ResNet bottleneck with anti-aliased striding (avg-pool instead of strided convs)."""
    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.avgpool = nn.AvgPool2d(stride) if stride > 1 else nn.Identity()
        self.conv3 = nn.Conv2d(planes, planes * self.expansion, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.downsample = None
        if stride > 1 or inplanes != planes * self.expansion:
            self.downsample = nn.Sequential(OrderedDict([
                ("pool", nn.AvgPool2d(stride)),
                ("0", nn.Conv2d(inplanes, planes * self.expansion, 1, bias=False)),
                ("1", nn.BatchNorm2d(planes * self.expansion)),
            ]))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(self.avgpool(out)))
        identity = x if self.downsample is None else self.downsample(x)
        return F.relu(out + identity)


class AttentionPool2d(nn.Module):
    """One multi-head attention over the feature map, queried by the mean token."""

    def __init__(self, spatial_dim: int, embed_dim: int, heads: int, output_dim: int):
        super().__init__()
        self.positional_embedding = nn.Parameter(torch.randn(spatial_dim ** 2 + 1, embed_dim) / embed_dim ** 0.5)
        self.k_proj = nn.Linear(embed_dim, embed_dim)
        self.q_proj = nn.Linear(embed_dim, embed_dim)
        self.v_proj = nn.Linear(embed_dim, embed_dim)
        self.c_proj = nn.Linear(embed_dim, output_dim)
        self.num_heads = heads

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        tokens = x.flatten(2).permute(2, 0, 1)
        tokens = torch.cat([tokens.mean(dim=0, keepdim=True), tokens], dim=0)
        tokens = tokens + self.positional_embedding[:, None, :].to(tokens.dtype)
        pooled, _ = F.multi_head_attention_forward(
            query=tokens, key=tokens, value=tokens,
            embed_dim_to_check=tokens.shape[-1], num_heads=self.num_heads,
            in_proj_weight=None,
            in_proj_bias=torch.cat([self.q_proj.bias, self.k_proj.bias, self.v_proj.bias]),
            bias_k=None, bias_v=None, add_zero_attn=False, dropout_p=0.0,
            out_proj_weight=self.c_proj.weight, out_proj_bias=self.c_proj.bias,
            training=self.training, need_weights=False, use_separate_proj_weight=True,
            q_proj_weight=self.q_proj.weight, k_proj_weight=self.k_proj.weight,
            v_proj_weight=self.v_proj.weight)
        return pooled[0]


class ModifiedResNet(nn.Module):
    """Three-conv stem + avg-pool, four bottleneck stages, attention pooling."""

    def __init__(self, layers: Sequence[int], output_dim: int, heads: int, input_resolution: int, width: int):
        super().__init__()
        self.output_dim = output_dim
        self.input_resolution = input_resolution
        self.conv1 = nn.Conv2d(3, width // 2, kernel_size=3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width // 2)
        self.conv2 = nn.Conv2d(width // 2, width // 2, kernel_size=3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(width // 2)
        self.conv3 = nn.Conv2d(width // 2, width, kernel_size=3, padding=1, bias=False)
        self.bn3 = nn.BatchNorm2d(width)
        self.avgpool = nn.AvgPool2d(2)
        inplanes = width
        stages = []
        for stage_index, depth in enumerate(layers):
            planes = width * 2 ** stage_index
            stride = 1 if stage_index == 0 else 2
            blocks = [Bottleneck(inplanes, planes, stride)]
            inplanes = planes * Bottleneck.expansion
            blocks += [Bottleneck(inplanes, planes) for _ in range(1, depth)]
            stages.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3, self.layer4 = stages
        self.attnpool = AttentionPool2d(input_resolution // 32, width * 32, heads, output_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.to(self.conv1.weight.dtype)
        for conv, bn in ((self.conv1, self.bn1), (self.conv2, self.bn2), (self.conv3, self.bn3)):
            x = F.relu(bn(conv(x)))
        x = self.avgpool(x)
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.attnpool(x)


class VisionTransformer(nn.Module):
    """OpenAI's ViT. With `prompt_depth` >= 1 it owns IVLP/VPT's input prompt `VPT` [prompt_tokens, width]
    (appended after the positional embedding) and its blocks 1..prompt_depth-1 own deep ones."""

    def __init__(self, input_resolution: int, patch_size: int, width: int, layers: int, heads: int,
                 output_dim: int, prompt_tokens: int = 0, prompt_depth: int = 0, maple_length: int = 0):
        super().__init__()
        self.input_resolution = input_resolution
        self.output_dim = output_dim
        self.conv1 = nn.Conv2d(3, width, kernel_size=patch_size, stride=patch_size, bias=False)
        if prompt_depth:
            self.VPT = learnable_prompt(prompt_tokens, width)
        scale = width ** -0.5
        self.class_embedding = nn.Parameter(scale * torch.randn(width))
        self.positional_embedding = nn.Parameter(scale * torch.randn((input_resolution // patch_size) ** 2 + 1, width))
        self.ln_pre = LayerNorm(width)
        self.transformer = Transformer(width, layers, heads, prompt_tokens=prompt_tokens, prompt_depth=prompt_depth,
                                       maple_length=maple_length)
        self.ln_post = LayerNorm(width)
        self.proj = nn.Parameter(scale * torch.randn(width, output_dim))

    def forward(self, x: torch.Tensor, prompt_tokens: Optional[torch.Tensor] = None,
                block_hook: Union[BlockHook, Sequence[torch.Tensor], None] = None,
                own_prompts: bool = True) -> torch.Tensor:
        """Image features; `prompt_tokens` [n, D] are appended before `ln_pre`.

        MaPLe's call shape `visual(images, shared_ctx, deep_prompts)` passes a list of deep prompts
        [n, D] as the third argument: entry j replaces the last n tokens at block j+1.
        """
        if isinstance(block_hook, (list, tuple)):
            block_hook = ReplaceTokens(-block_hook[0].shape[-2], block_hook) if block_hook else None
        if own_prompts and hasattr(self, "VPT"):
            if prompt_tokens is not None:
                raise ValueError("This ViT owns its input prompt VPT (design_details IVLP/VPT): pass "
                                 "own_prompts=False to append your own prompt_tokens")
            prompt_tokens = self.VPT
        x = self.conv1(x).flatten(2).transpose(1, 2)
        cls = self.class_embedding.to(x.dtype).expand(x.shape[0], 1, -1)
        x = torch.cat([cls, x], dim=1) + self.positional_embedding.to(x.dtype)
        if prompt_tokens is not None:
            prompts = prompt_tokens.to(x.dtype).expand(x.shape[0], -1, -1)
            x = torch.cat([x, prompts], dim=1)
        x = self.transformer(self.ln_pre(x).permute(1, 0, 2), block_hook=block_hook, own_prompts=own_prompts)
        return self.ln_post(x.permute(1, 0, 2)[:, 0, :]) @ self.proj


class CLIP(nn.Module):
    def __init__(self, embed_dim: int, image_resolution: int, vision_layers: Union[int, Sequence[int]],
                 vision_width: int, vision_patch_size: Optional[int], context_length: int, vocab_size: int,
                 transformer_width: int, transformer_heads: int, transformer_layers: int,
                 design: PromptDesign = PromptDesign()):
        super().__init__()
        self.context_length = context_length
        if isinstance(vision_layers, (tuple, list)):
            self.visual = ModifiedResNet(vision_layers, embed_dim, vision_width * 32 // 64,
                                         image_resolution, vision_width)
        else:
            self.visual = VisionTransformer(image_resolution, vision_patch_size, vision_width, vision_layers,
                                            vision_width // 64, embed_dim, design.vision_ctx, design.vision_depth,
                                            design.maple_length)
        self.transformer = Transformer(transformer_width, transformer_layers, transformer_heads, causal=True,
                                       prompt_tokens=design.language_ctx, prompt_depth=design.language_depth,
                                       maple_length=design.maple_length)
        self.vocab_size = vocab_size
        self.token_embedding = nn.Embedding(vocab_size, transformer_width)
        self.positional_embedding = nn.Parameter(torch.empty(context_length, transformer_width))
        self.ln_final = LayerNorm(transformer_width)
        self.text_projection = nn.Parameter(torch.empty(transformer_width, embed_dim))
        self.logit_scale = nn.Parameter(torch.ones([]) * math.log(1 / 0.07))
        self.initialize_parameters()

    def initialize_parameters(self) -> None:
        """OpenAI's initialisation, in its order (the weights are overwritten, the RNG draws are not)."""
        nn.init.normal_(self.token_embedding.weight, std=0.02)
        nn.init.normal_(self.positional_embedding, std=0.01)
        if isinstance(self.visual, ModifiedResNet):
            pool = self.visual.attnpool
            std = pool.c_proj.in_features ** -0.5
            for projection in (pool.q_proj, pool.k_proj, pool.v_proj, pool.c_proj):
                nn.init.normal_(projection.weight, std=std)
            for stage in (self.visual.layer1, self.visual.layer2, self.visual.layer3, self.visual.layer4):
                for name, param in stage.named_parameters():
                    if name.endswith("bn3.weight"):
                        nn.init.zeros_(param)
        width, layers = self.transformer.width, self.transformer.layers
        proj_std = width ** -0.5 * (2 * layers) ** -0.5
        for block in self.transformer.resblocks:
            nn.init.normal_(block.attn.in_proj_weight, std=width ** -0.5)
            nn.init.normal_(block.attn.out_proj.weight, std=proj_std)
            nn.init.normal_(block.mlp.c_fc.weight, std=(2 * width) ** -0.5)
            nn.init.normal_(block.mlp.c_proj.weight, std=proj_std)
        nn.init.normal_(self.text_projection, std=width ** -0.5)

    @property
    def dtype(self) -> torch.dtype:
        return self.visual.conv1.weight.dtype

    def encode_image(self, images: torch.Tensor, prompt_tokens: Optional[torch.Tensor] = None,
                     block_hook: Optional[BlockHook] = None, own_prompts: bool = True) -> torch.Tensor:
        """Image features [B, E]; ViT only: `prompt_tokens` [n, Dv] appended after the positional embedding.

        `own_prompts=False` leaves out the prompts the model owns (design_details IVLP/VPT): the frozen tower.
        """
        images = images.to(self.dtype)
        if isinstance(self.visual, VisionTransformer):
            return self.visual(images, prompt_tokens=prompt_tokens, block_hook=block_hook, own_prompts=own_prompts)
        if prompt_tokens is not None or block_hook is not None:
            raise ValueError("Visual prompts need a ViT image encoder; this CLIP has a ModifiedResNet")
        return self.visual(images)

    def encode_text(self, text: torch.Tensor, own_prompts: bool = True) -> torch.Tensor:
        """OpenAI behaviour: token ids [N, L] -> features [N, E], pooled at the EOT (largest id)."""
        embeddings = self.token_embedding(text)
        return self.encode_text_embeddings(embeddings, text.argmax(dim=-1), truncate=False, own_prompts=own_prompts)

    def encode_text_embeddings(self, embeddings: torch.Tensor, eot_index: torch.Tensor,
                               block_hook: Optional[BlockHook] = None, truncate: bool = True,
                               own_prompts: bool = True) -> torch.Tensor:
        """Text features from token embeddings [N, L, Dt] (no positional embedding yet), pooled at `eot_index`.

        `truncate` drops positions after the last EOT: under the causal mask they cannot influence it.
        `own_prompts=False` leaves out the deep prompts the text blocks own (design_details IVLP).
        """
        length = embeddings.shape[1]
        if length > self.context_length:
            raise ValueError(f"Text sequences have {length} tokens but the model's context length is "
                             f"{self.context_length}; build prompts of at most {self.context_length} tokens")
        if truncate:
            length = int(eot_index.max()) + 1
            embeddings = embeddings[:, :length]
        x = embeddings.to(self.dtype) + self.positional_embedding[:length].to(self.dtype)
        x = self.transformer(x.permute(1, 0, 2), block_hook=block_hook, own_prompts=own_prompts).permute(1, 0, 2)
        x = self.ln_final(x).to(self.dtype)
        pooled = x[torch.arange(x.shape[0], device=x.device), eot_index.to(x.device)]
        return pooled @ self.text_projection

    def encode_text_shared_prefix(self, embeddings: torch.Tensor, eot_index: torch.Tensor, prefix_length: int,
                                  block_hook: Optional[BlockHook] = None, truncate: bool = True,
                                  own_prompts: bool = True) -> torch.Tensor:
        """`encode_text_embeddings` for prompts [..., C, L, Dt] whose first `prefix_length` positions are the
        same for all C classes of a group (the caller's promise): the prefix runs once per group.

        Exact up to float rounding, like EOT truncation; returns [..., C, E]. `eot_index` [C] must not
        point into the prefix.
        """
        *leading, classes, length, width = embeddings.shape
        if truncate:
            length = int(eot_index.max()) + 1
        if not 0 < prefix_length <= int(eot_index.min()):
            raise ValueError(f"A shared prefix of {prefix_length} tokens must be non-empty and end before "
                             f"the pooled positions {eot_index.tolist()}")
        grouped = embeddings.reshape(-1, classes, embeddings.shape[-2], width)[:, :, :length].to(self.dtype)
        positions = self.positional_embedding[:length].to(self.dtype)
        prefix = grouped[:, 0, :prefix_length] + positions[:prefix_length]
        suffix = grouped[:, :, prefix_length:] + positions[prefix_length:]
        x = self.ln_final(self.transformer.forward_shared_prefix(prefix, suffix, block_hook, own_prompts)).to(self.dtype)
        pooled = x[:, torch.arange(classes, device=x.device), eot_index.to(x.device) - prefix_length]
        return (pooled @ self.text_projection).reshape(*leading, classes, -1)

    def forward(self, images: torch.Tensor, text: torch.Tensor):
        image_features = self.encode_image(images)
        text_features = self.encode_text(text)
        image_features = image_features / image_features.norm(dim=1, keepdim=True)
        text_features = text_features / text_features.norm(dim=1, keepdim=True)
        logits_per_image = self.logit_scale.exp() * image_features @ text_features.t()
        return logits_per_image, logits_per_image.t()
