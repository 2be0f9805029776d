"""Optimizers by name from ``cfg.OPTIM``."""
import warnings

import torch
import torch.nn as nn

AVAILABLE_OPTIMIZERS = ["adam", "amsgrad", "sgd", "rmsprop", "radam", "adamw"]


def build_optimizer(model, optim_cfg, param_groups=None):
    """Build the optimizer named by ``optim_cfg.NAME``.

    ``model`` may be a module (all its parameters; frozen ones never get a gradient so they
    never move) or an iterable of parameters / param groups.
    """
    name = optim_cfg.NAME
    if name not in AVAILABLE_OPTIMIZERS:
        raise ValueError(f"optim must be one of {AVAILABLE_OPTIMIZERS}, but got {name}")
    if param_groups is not None and optim_cfg.STAGED_LR:
        warnings.warn("staged_lr will be ignored, if you need to use staged_lr, please bind it with param_groups yourself.")
    if param_groups is None:
        param_groups = _select_parameters(model, optim_cfg)

    lr, weight_decay = optim_cfg.LR, optim_cfg.WEIGHT_DECAY
    betas = (optim_cfg.ADAM_BETA1, optim_cfg.ADAM_BETA2)
    if name in ("adam", "amsgrad"):
        return torch.optim.Adam(param_groups, lr=lr, weight_decay=weight_decay, betas=betas, amsgrad=name == "amsgrad")
    if name == "sgd":
        return torch.optim.SGD(
            param_groups,
            lr=lr,
            momentum=optim_cfg.MOMENTUM,
            weight_decay=weight_decay,
            dampening=optim_cfg.SGD_DAMPNING,
            nesterov=optim_cfg.SGD_NESTEROV,
        )
    if name == "rmsprop":
        return torch.optim.RMSprop(
            param_groups, lr=lr, momentum=optim_cfg.MOMENTUM, weight_decay=weight_decay, alpha=optim_cfg.RMSPROP_ALPHA
        )
    if name == "radam":
        return torch.optim.RAdam(param_groups, lr=lr, weight_decay=weight_decay, betas=betas)
    return torch.optim.AdamW(param_groups, lr=lr, weight_decay=weight_decay, betas=betas)


def _select_parameters(model, optim_cfg):
    if optim_cfg.STAGED_LR:
        if not isinstance(model, nn.Module):
            raise TypeError("When STAGED_LR is True, model given to build_optimizer() must be an instance of nn.Module")
        if isinstance(model, nn.DataParallel):
            model = model.module
        new_layers = optim_cfg.NEW_LAYERS
        if isinstance(new_layers, str):
            new_layers = [new_layers]
        base_params, new_params = [], []
        for name, module in model.named_children():
            (new_params if name in new_layers else base_params).extend(module.parameters())
        return [{"params": base_params, "lr": optim_cfg.LR * optim_cfg.BASE_LR_MULT}, {"params": new_params}]
    if isinstance(model, nn.Module):
        return model.parameters()
    return model
