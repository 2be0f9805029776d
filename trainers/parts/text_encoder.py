"""CLIP's text tower applied to already-embedded prompts."""
import math

import torch

# Sharing adds one short pass over each block's weights (the prefix alone); below this many saved
# token positions that pass costs more than it saves (measured on CPU: a 3-token prefix over 16
# classes loses 20%, a 17-token one over 16 classes gains 2x).
MIN_SAVED_POSITIONS = 128


class TextEncoder:
    """Encodes prompt embeddings with a frozen CLIP, pooling at each sequence's EOT index.

    Not an nn.Module on purpose: the frozen tower must stay out of the trainers' registered
    modules, their checkpoints and their train/eval switches.
    """

    def __init__(self, clip_model, truncate=True, share_prefix=True):
        self.clip_model = clip_model
        # Cutting sequences after the last EOT is exact under the causal mask and much cheaper.
        self.truncate = truncate
        # Likewise, positions every class shares see only each other: encoding them once per prompt
        # set instead of once per class is exact (TRAINER.TEXT_ENCODER.SHARE_PREFIX).
        self.share_prefix = share_prefix

    def __call__(self, embeddings, pool_index, block_hook=None, shared_prefix=0):
        """Features [..., C, E] of prompts [..., C, L, D].

        `shared_prefix`: how many leading positions the caller guarantees are the same tensor for
        every class of a prompt set (a layout's `shared_prefix_length`); 0 encodes every row in full.
        Deep prompts the CLIP owns (IVLP) enter only through `block_hook`: the layout places them.
        """
        embeddings = embeddings.type(self.clip_model.dtype)
        prefix_length = self.usable_prefix(shared_prefix, pool_index, block_hook, embeddings.shape[:-2])
        if prefix_length:
            check_shared(embeddings, prefix_length)
            return self.clip_model.encode_text_shared_prefix(
                embeddings, pool_index, prefix_length, block_hook=block_hook, truncate=self.truncate, own_prompts=False
            )
        *leading, classes, length, width = embeddings.shape
        features = self.clip_model.encode_text_embeddings(
            embeddings.reshape(-1, length, width), pool_index.repeat(math.prod(leading)),
            block_hook=block_hook, truncate=self.truncate, own_prompts=False,
        )
        return features.reshape(*leading, classes, -1)

    def usable_prefix(self, shared_prefix, pool_index, block_hook, rows_shape):
        """The shared length to exploit for prompts [*rows_shape, L, D]: 0 when off, when a hook may
        write past the prefix, or when sharing would save too little to pay for itself."""
        if not self.share_prefix or shared_prefix < 1:
            return 0
        prefix_length = min(shared_prefix, int(pool_index.min()))
        rows, groups = math.prod(rows_shape), math.prod(rows_shape[:-1])
        if (rows - groups) * prefix_length < MIN_SAVED_POSITIONS:
            return 0
        if block_hook is not None:
            window_end = getattr(block_hook, "window_end", None)
            if window_end is None or window_end > prefix_length:
                return 0
        return prefix_length


def check_shared(embeddings, prefix_length):
    """Fail loudly if a layout promises more shared positions than its prompts have: sharing them
    would silently give every class the first class's prefix."""
    prefix = embeddings[..., :prefix_length, :].detach()
    if not torch.equal(prefix, prefix[..., :1, :, :].expand_as(prefix)):
        raise ValueError(f"The prompt layout's shared_prefix_length promises {prefix_length} leading positions "
                         "equal for every class, but the prompts differ there: return the true count (0 shares nothing)")
