"""Loading learned prompt weights into a model rebuilt for (possibly different) class names."""
import os
import re

CHECKPOINT_FILE = re.compile(r"^model\.pth\.tar-(\d+)$")


BEST_CHECKPOINT = "model-best.pth.tar"  # written only by TEST.FINAL_MODEL best_val runs


def checkpoint_path(directory, epoch=None):
    """`<directory>/model.pth.tar-<epoch>`; without an epoch the best_val checkpoint if the run wrote one,
    else (and for a negative epoch) the latest saved epoch."""
    if epoch is None and os.path.isfile(os.path.join(directory, BEST_CHECKPOINT)):
        return os.path.join(directory, BEST_CHECKPOINT)
    if epoch is None or epoch < 0:
        epochs = [int(m.group(1)) for m in map(CHECKPOINT_FILE.match, _listdir(directory)) if m]
        if not epochs:
            raise FileNotFoundError(f'No model.pth.tar-<epoch> file in "{directory}"; pass --model-dir of a trained run')
        epoch = max(epochs)
    path = os.path.join(directory, f"model.pth.tar-{epoch}")
    if not os.path.isfile(path):
        raise FileNotFoundError(f'Model not found at "{path}"')
    return path


def _listdir(directory):
    return os.listdir(directory) if os.path.isdir(directory) else []


def without_class_buffers(state_dict, module):
    """Drop the saved copies of `module`'s buffers: token buffers encode the training class list."""
    rebuilt = {name for name, _ in module.named_buffers()}
    return {key: value for key, value in state_dict.items() if key not in rebuilt}


def require_learned_tensors(module, state_dict, path):
    """Loads are non-strict only for buffers and frozen weights: a learned tensor absent from the file
    (a renamed key, another trainer's checkpoint) would silently stay at its random init (W-G6)."""
    missing = sorted(name for name, param in module.named_parameters() if param.requires_grad and name not in state_dict)
    if missing:
        raise ValueError(f'Checkpoint "{path}" holds no learned {missing}; was it saved by another trainer or '
                       f"configuration? Pass the --model-dir of a run of this trainer and config")
