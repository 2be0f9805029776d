"""A from-scratch engine with Dassl.pytorch 0.6.3's public names, so CoOp-family trainers run unchanged."""
__version__ = "0.6.3"
