"""Channel-wise feature transformation (FiLM) of DePT."""
import torch
from torch import nn


class FiLM(nn.Module):
    """x * scale + bias per channel; fp32 parameters computed in the features' dtype."""

    def __init__(self, dim):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(dim))
        self.bias = nn.Parameter(torch.zeros(dim))

    def forward(self, x):
        return x * self.scale.to(x.dtype) + self.bias.to(x.dtype)
