"""Heat-map of AnchorOPT's learned position matrix softmax(Π) from a run directory (the paper's Figure 4).

    python -m results.position_matrix output/dtd/CoOp_AnchorOPT/.../seed1 --out pm.png

Row i is the distribution over input tokens [ctx_1..ctx_N, anchor] of output slot i.
"""
import argparse
import glob
import os
import re
import sys
import tempfile

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import torch  # noqa: E402

from dassl.utils import load_checkpoint  # noqa: E402

POSITION_KEY = "ctx_pos_params"
EPOCH_SUFFIX = re.compile(r"model\.pth\.tar-(\d+)$")


def find_position_logits(run_dir):
    """Π from the latest-epoch checkpoint under `run_dir` that holds one."""
    candidates = glob.glob(os.path.join(run_dir, "*", "model.pth.tar-*"))
    candidates.sort(key=lambda path: int(EPOCH_SUFFIX.search(path).group(1)) if EPOCH_SUFFIX.search(path) else -1)
    for path in reversed(candidates):
        state_dict = load_checkpoint(path)["state_dict"]
        for key, value in state_dict.items():
            if key.split(".")[-1] == POSITION_KEY:
                return value.float().cpu(), path
    raise FileNotFoundError(f"No checkpoint with '{POSITION_KEY}' under {run_dir}/*/model.pth.tar-*; "
                            "pass the directory of an AnchorOPT stage-II run")


def plot_position_matrix(position_logits, out_path, title=""):
    probabilities = torch.softmax(position_logits, dim=-1).numpy()
    size = probabilities.shape[0]
    inputs = [f"ctx{i + 1}" for i in range(size - 1)] + ["anchor"]
    figure, axes = plt.subplots(figsize=(1.0 + 0.7 * size, 0.8 + 0.7 * size))
    image = axes.imshow(probabilities, cmap="viridis", vmin=0.0, vmax=1.0)
    for row in range(size):
        for column in range(size):
            value = probabilities[row, column]
            axes.text(column, row, f"{value:.2f}", ha="center", va="center", color="black" if value > 0.5 else "white",
                      fontsize=8)
    axes.set_xticks(range(size), inputs)
    axes.set_yticks(range(size), [f"slot{i + 1}" for i in range(size)])
    axes.set_xlabel("input token")
    axes.set_ylabel("prompt position")
    axes.set_title(title or "softmax(Π)")
    figure.colorbar(image, ax=axes, fraction=0.046)
    figure.tight_layout()
    directory = os.path.dirname(os.path.abspath(out_path))
    os.makedirs(directory, exist_ok=True)
    handle, temporary = tempfile.mkstemp(suffix=".png", dir=directory)
    os.close(handle)
    try:
        figure.savefig(temporary, dpi=150)
        os.replace(temporary, out_path)
    finally:
        plt.close(figure)
        if os.path.exists(temporary):
            os.remove(temporary)
    return probabilities


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("run_dir", help="an AnchorOPT stage-II run directory (holds <name>/model.pth.tar-<E>)")
    parser.add_argument("--out", required=True, help="PNG file to write")
    args = parser.parse_args(argv)
    try:
        position_logits, path = find_position_logits(args.run_dir)
    except FileNotFoundError as error:
        print(f"position_matrix: {error}", file=sys.stderr)
        return 1
    plot_position_matrix(position_logits, args.out, title=os.path.relpath(path, args.run_dir))
    print(f"Wrote {args.out} from {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
