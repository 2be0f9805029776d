"""PromptSRC's Gaussian prompt aggregation (GPA): the final prompts are a Gaussian-weighted sum over epochs."""
import numpy as np
import torch


def gaussian_epoch_weights(epochs, mean, std):
    """w_e = N(e; mean, std) for e = 1..epochs, normalised to sum 1 (float64, as upstream's numpy)."""
    positions = np.arange(1, epochs + 1)
    density = np.exp(-0.5 * ((positions - mean) / std) ** 2) / (std * np.sqrt(2 * np.pi))
    return density / density.sum()


class GaussianPromptAggregate:
    """Running sum of w_e * θ_e over epochs for the learned tensors of a module.

    Each term is computed in the tensor's own dtype, as upstream scales and adds its state dict.
    """

    def __init__(self, weights):
        self.weights = weights
        self.total = None

    @torch.no_grad()
    def add(self, epoch, tensors):
        """Add epoch `epoch`'s (0-based) tensors {name: tensor}."""
        weight = float(self.weights[epoch])
        weighted = {name: tensor.detach() * weight for name, tensor in tensors.items()}
        if self.total is None:
            self.total = weighted
        else:
            self.total = {name: self.total[name] + value for name, value in weighted.items()}
