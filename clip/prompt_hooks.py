"""Block hooks that write deep prompts into a transformer's token sequence (MaPLe and its variants).

A block hook is `hook(layer_index, x) -> x`, called before every residual block with batch-first
`x` [N, L, D]; CLIP's transformers call it and cast what it returns to the activation dtype.
A hook may expose `deepest_layer` (the last block it writes into); a transformer with fewer
blocks rejects it with a clear error instead of silently ignoring the extra prompts. A hook that
exposes `window_end` (it touches no position at or past it) lets the text encoder run the
positions shared by all classes once; without it every sequence is encoded in full.
"""
from typing import Sequence

import torch


class ReplaceTokens:
    """Writes `prompts[j]` over positions `start .. start+n-1` at the input of block `j + 1`.

    `start` may be negative (`-n`: the last n tokens, where the visual prompts sit). Entries are
    [n, D] (shared by the batch) or [N, n, D]. Blocks 0 and > len(prompts) are left alone.
    """

    def __init__(self, start: int, prompts: Sequence[torch.Tensor]):
        self.start = start
        self.prompts = list(prompts)

    @property
    def deepest_layer(self) -> int:
        """Index of the last block this hook writes into (checked against the transformer depth)."""
        return len(self.prompts)

    @property
    def window_end(self):
        """First position past every write, or None when counted from the end (it depends on the length)."""
        if self.start < 0:
            return None
        return self.start + max((prompt.shape[-2] for prompt in self.prompts), default=0)

    def __call__(self, layer_index: int, x: torch.Tensor) -> torch.Tensor:
        if not 1 <= layer_index <= len(self.prompts):
            return x
        prompt = self.prompts[layer_index - 1].to(x.dtype)
        count = prompt.shape[-2]
        begin = self.start if self.start >= 0 else x.shape[1] + self.start
        if begin < 0 or begin + count > x.shape[1]:
            raise ValueError(f"Deep prompt window {self.start}..{self.start + count - 1} does not fit "
                             f"a sequence of {x.shape[1]} tokens at block {layer_index}")
        prompt = prompt.expand(x.shape[0], count, x.shape[2])
        return torch.cat([x[:, :begin], prompt, x[:, begin + count:]], dim=1)


def replace_tokens(start: int, prompts: Sequence[torch.Tensor]) -> ReplaceTokens:
    """The hook MaPLe needs: entry j replaces `start .. start+n-1` at block j+1."""
    return ReplaceTokens(start, prompts)
