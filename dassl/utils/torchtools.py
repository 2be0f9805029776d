"""Checkpoint reading/writing and parameter helpers, compatible with original Dassl files."""
import os
import pickle
import shutil
import warnings
from collections import OrderedDict
from functools import partial

import torch
import torch.nn as nn

from .tools import atomic_write, mkdir_if_missing

CHECKPOINT_POINTER = "checkpoint"
BEST_MODEL_NAME = "model-best.pth.tar"


def _strip_module_prefix(state_dict):
    stripped = OrderedDict()
    for key, value in state_dict.items():
        stripped[key[len("module."):] if key.startswith("module.") else key] = value
    return stripped


def save_checkpoint(state, save_dir, is_best=False, remove_module_from_keys=True, model_name=""):
    """Save ``state`` as ``model.pth.tar-<epoch>`` (or ``model_name``) atomically.

    The ``checkpoint`` pointer names the latest regular save; best-model saves leave it alone so
    that a resume continues from the latest epoch, not the best one.
    """
    mkdir_if_missing(save_dir)
    if remove_module_from_keys:
        state["state_dict"] = _strip_module_prefix(state["state_dict"])
    fname = model_name or "model.pth.tar-" + str(state["epoch"])
    fpath = os.path.join(save_dir, fname)
    atomic_write(fpath, partial(_torch_save_to_file, state), mode="wb")
    print(f"Checkpoint saved to {fpath}")
    if fname != BEST_MODEL_NAME:
        atomic_write(os.path.join(save_dir, CHECKPOINT_POINTER), lambda f: f.write(fname + "\n"))
    if is_best:
        best_fpath = os.path.join(save_dir, BEST_MODEL_NAME)
        atomic_write(best_fpath, partial(_copy_file_into, fpath), mode="wb")
        print(f'Best checkpoint saved to "{best_fpath}"')


def _torch_save_to_file(state, f):
    torch.save(state, f)


def _copy_file_into(src_path, f):
    with open(src_path, "rb") as src:
        shutil.copyfileobj(src, f)


def load_checkpoint(fpath):
    """Load a checkpoint written by this engine or by original Dassl.

    Our files hold plain data and load with ``weights_only=True``; original files pickle the
    optimizer and scheduler objects (no allow-list can cover them), so for these trusted files
    we fall back to a full unpickle.
    """
    if fpath is None:
        raise ValueError("File path is None")
    if not os.path.exists(fpath):
        raise FileNotFoundError(f'File is not found at "{fpath}"')
    map_location = None if torch.cuda.is_available() else "cpu"
    try:
        try:
            return torch.load(fpath, map_location=map_location, weights_only=True)
        except pickle.UnpicklingError:
            return torch.load(fpath, map_location=map_location, weights_only=False)
        except UnicodeDecodeError:
            return torch.load(fpath, map_location=map_location, weights_only=False, encoding="latin1")
    except Exception:
        print(f'Unable to load checkpoint from "{fpath}"')
        raise


def read_checkpoint_pointer(fdir):
    """Name of the latest regular checkpoint in ``fdir``, or None when there is no pointer file."""
    pointer = os.path.join(fdir, CHECKPOINT_POINTER)
    if not os.path.isfile(pointer):
        return None
    with open(pointer, "r") as f:
        return f.readline().strip("\n")


def resume_from_checkpoint(fdir, model, optimizer=None, scheduler=None):
    """Restore model, optimizer and scheduler from the file named by ``<fdir>/checkpoint``; return its epoch."""
    fname = read_checkpoint_pointer(fdir)
    if fname is None:
        raise FileNotFoundError(f'No checkpoint pointer at "{os.path.join(fdir, CHECKPOINT_POINTER)}"')
    fpath = os.path.join(fdir, fname)
    print(f'Loading checkpoint from "{fpath}"')
    checkpoint = load_checkpoint(fpath)
    model.load_state_dict(checkpoint["state_dict"])
    print("Loaded model weights")
    if optimizer is not None and checkpoint.get("optimizer") is not None:
        optimizer.load_state_dict(checkpoint["optimizer"])
        print("Loaded optimizer")
    if scheduler is not None and checkpoint.get("scheduler") is not None:
        scheduler.load_state_dict(checkpoint["scheduler"])
        print("Loaded scheduler")
    start_epoch = checkpoint["epoch"]
    print(f"Previous epoch: {start_epoch}")
    return start_epoch


def load_pretrained_weights(model, weight_path):
    """Load the entries of a checkpoint whose names and shapes match ``model``; report the rest."""
    checkpoint = load_checkpoint(weight_path)
    state_dict = checkpoint["state_dict"] if "state_dict" in checkpoint else checkpoint
    model_dict = model.state_dict()
    matched, discarded = OrderedDict(), []
    for key, value in _strip_module_prefix(state_dict).items():
        if key in model_dict and model_dict[key].size() == value.size():
            matched[key] = value
        else:
            discarded.append(key)
    model_dict.update(matched)
    model.load_state_dict(model_dict)
    if not matched:
        warnings.warn(f"Cannot load {weight_path} (check the key names manually)")
        return
    print(f"Successfully loaded pretrained weights from {weight_path}")
    if discarded:
        print(f"Layers discarded due to unmatched keys or size: {discarded}")


def count_num_param(model=None, params=None):
    if model is not None:
        return sum(p.numel() for p in model.parameters())
    if params is not None:
        total = 0
        for item in params:
            if isinstance(item, dict):
                total += sum(p.numel() for p in item["params"])
            else:
                total += item.numel()
        return total
    raise ValueError("count_num_param() needs a model or params")


def open_all_layers(model):
    model.train()
    for p in model.parameters():
        p.requires_grad = True


def open_specified_layers(model, open_layers):
    """Train (and unfreeze) only the named children of ``model``; all others go to eval, frozen."""
    if isinstance(model, nn.DataParallel):
        model = model.module
    if isinstance(open_layers, str):
        open_layers = [open_layers]
    for layer in open_layers:
        if not hasattr(model, layer):
            raise ValueError(f'"{layer}" is not an attribute of the model, please provide the correct name')
    for name, module in model.named_children():
        is_open = name in open_layers
        module.train(is_open)
        for p in module.parameters():
            p.requires_grad = is_open
