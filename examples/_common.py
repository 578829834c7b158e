"""Small helpers shared by the example scripts: command line, output folder, tables and figures.

Every example is run as `python -m examples.NAME [--quick] [--out DIR] [--seed N]` and exposes
`main(argv) -> dict`; these helpers keep that boilerplate out of the scripts.
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import matplotlib  # noqa: E402

if "MPLBACKEND" not in os.environ:
    matplotlib.use("Agg")


def parse_args(argv, name, description):
    """Parses the options every example has.

    Args:
        argv: argument list (None reads `sys.argv`).
        name: the example's name; the default output folder is `out/<name>`.
        description: one line shown by `--help`.

    Returns:
        `argparse.Namespace` with `quick`, `out` (created) and `seed`; seeds Keras, NumPy and Python.
    """
    parser = argparse.ArgumentParser(prog=f"python -m examples.{name}", description=description)
    parser.add_argument("--quick", action="store_true", help="tiny run (seconds) for tests and a first look")
    parser.add_argument("--out", default=os.path.join("out", name), help="folder for plots and reports")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    import keras

    keras.utils.set_random_seed(args.seed)
    return args


def print_table(title, rows, columns=None):
    """Prints a list of dicts as an aligned text table (floats with 3 decimals)."""
    if not rows:
        return
    columns = columns or list(rows[0])
    cells = [[_cell(row.get(column, "")) for column in columns] for row in rows]
    widths = [max(len(str(column)), *(len(line[i]) for line in cells)) for i, column in enumerate(columns)]
    print(f"\n{title}")
    print("  ".join(str(column).ljust(width) for column, width in zip(columns, widths)))
    print("  ".join("-" * width for width in widths))
    for line in cells:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths)))


def _cell(value):
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 1e-3 and value != 0 else f"{value:.3f}"
    return str(value)


def save_figure(fig, out, file_name):
    """Saves a matplotlib figure as PNG into folder `out`, closes it and returns its path."""
    import matplotlib.pyplot as plt

    path = os.path.join(out, file_name)
    fig.savefig(path, dpi=90, bbox_inches="tight")
    plt.close(fig)
    return path


def image_grid(ax, images, columns, low=0.0, high=1.0):
    """Draws `images` (n, h, w[, 1]) as one tiled grayscale picture on `ax`."""
    import numpy as np

    images = np.asarray(images, dtype=float).reshape(len(images), *np.shape(images)[1:3])
    rows = -(-len(images) // columns)
    height, width = images.shape[1:3]
    canvas = np.full((rows * (height + 1) - 1, columns * (width + 1) - 1), low)
    for index, image in enumerate(images):
        row, column = divmod(index, columns)
        canvas[row * (height + 1) : row * (height + 1) + height, column * (width + 1) : column * (width + 1) + width] = image
    ax.imshow(canvas, cmap="gray_r", vmin=low, vmax=high, interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])


def quiet_tensorflow():
    """Silences TensorFlow's Python warnings (retracing notices) that would bury the results."""
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")
