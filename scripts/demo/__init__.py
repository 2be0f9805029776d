"""The CPU mini-benchmark: a procedural colour x texture x shape world, a tiny CLIP pretrained on
it, and the same dataset laid out for ``train.py``, so a method change can be tried end to end in
minutes on a laptop. Fast feedback for development, not a claim about the real benchmarks."""
