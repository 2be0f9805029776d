"""Readers for the raw annotation formats used only when a split file must be created."""


def read_text_lines(path):
    """Stripped lines of an annotation file, skipping blank lines."""
    with open(path, "r") as f:
        return [line.strip() for line in f if line.strip()]


def load_mat(path):
    """Load a MATLAB ``.mat`` file; scipy is imported here only, as no other path needs it."""
    try:
        from scipy.io import loadmat
    except ImportError as error:
        raise ImportError(
            f"Reading {path} needs scipy (pip install scipy); or place the published split_zhou_*.json "
            "next to it so the .mat annotations are not needed"
        ) from error
    return loadmat(path)
