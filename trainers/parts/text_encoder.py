"""CLIP's text tower applied to already-embedded prompts."""


class TextEncoder:
    """Encodes prompt embeddings with a frozen CLIP, pooling at each sequence's EOT index.

    Not an nn.Module on purpose: the frozen tower must stay out of the trainers' registered
    modules, their checkpoints and their train/eval switches.
    """

    def __init__(self, clip_model, truncate=True):
        self.clip_model = clip_model
        # Cutting sequences after the last EOT is exact under the causal mask and much cheaper.
        self.truncate = truncate

    def __call__(self, embeddings, pool_index, block_hook=None):
        embeddings = embeddings.type(self.clip_model.dtype)
        return self.clip_model.encode_text_embeddings(
            embeddings, pool_index, block_hook=block_hook, truncate=self.truncate
        )
