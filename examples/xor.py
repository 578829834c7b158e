"""XOR: the perceptron's limit, the MLP's solution, and how depth shapes the decision boundary.

A perceptron draws one straight line, and no line separates XOR's classes: it cannot beat 75%
accuracy (Minsky and Papert, 1969). One hidden layer bends the boundary and solves it. On a harder
set, two interleaved spirals, each extra hidden layer lets the boundary fold more often.

Run: python -m examples.xor [--quick] [--out DIR]
"""

import numpy as np

from examples import _common

NAME = "xor"


def train(model, x, y, steps, learning_rate=0.02):
    """Fits a binary classifier with Adam for `steps` mini-batches of 32; returns its training accuracy."""
    import keras
    import tensorflow as tf

    batches = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(len(x), seed=0).repeat().batch(32)
    model.compile(optimizer=keras.optimizers.Adam(learning_rate), loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(batches, steps_per_epoch=steps, epochs=1, shuffle=False, verbose=0)
    return float(model.evaluate(x, y, verbose=0, return_dict=True)["accuracy"])


def plot_boundary(ax, model, x, y, title):
    """Shades the region the model calls class 1 and scatters the points on top."""
    low, high = x.min(axis=0) - 0.3, x.max(axis=0) + 0.3
    grid_x, grid_y = np.meshgrid(np.linspace(low[0], high[0], 120), np.linspace(low[1], high[1], 120))
    grid = np.stack([grid_x.ravel(), grid_y.ravel()], axis=1).astype("float32")
    probability = np.asarray(model(grid)).reshape(grid_x.shape)
    ax.contourf(grid_x, grid_y, probability, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.6)
    ax.contour(grid_x, grid_y, probability, levels=[0.5], colors="black", linewidths=1)
    ax.scatter(x[:, 0], x[:, 1], c=y, cmap="RdBu_r", edgecolors="black", linewidths=0.3, s=12)
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])


def main(argv=None):
    args = _common.parse_args(argv, NAME, __doc__.splitlines()[0])
    import matplotlib.pyplot as plt

    import zoo
    from zoo import datasets

    steps = 300 if args.quick else 1500
    x, y = datasets.make_xor(n_samples=200, noise=0.15, seed=args.seed)
    perceptron = zoo.build_perceptron(input_shape=(2,), num_classes=1)
    mlp = zoo.build_mlp(input_shape=(2,), num_classes=1, hidden_units=(8,), activation="tanh")
    perceptron_accuracy = train(perceptron, x, y, steps)
    mlp_accuracy = train(mlp, x, y, steps)

    figures = []
    fig, axes = plt.subplots(1, 2, figsize=(8, 4))
    plot_boundary(axes[0], perceptron, x, y, f"perceptron: accuracy {perceptron_accuracy:.2f}")
    plot_boundary(axes[1], mlp, x, y, f"MLP, one hidden layer of 8: accuracy {mlp_accuracy:.2f}")
    fig.suptitle("XOR")
    figures.append(_common.save_figure(fig, args.out, "xor_perceptron_vs_mlp.png"))

    spiral_x, spiral_y = datasets.make_spirals(n_samples=300 if args.quick else 600, noise=0.03, seed=args.seed)
    depths = (0, 1, 2, 4)
    depth_accuracy = {}
    fig, axes = plt.subplots(1, len(depths), figsize=(4 * len(depths), 4))
    for ax, depth in zip(axes, depths):
        model = zoo.build_mlp(input_shape=(2,), num_classes=1, hidden_units=(32,) * depth, activation="relu",
                              kernel_initializer="he_normal")
        depth_accuracy[depth] = train(model, spiral_x, spiral_y, 2 * steps, learning_rate=0.01)
        plot_boundary(ax, model, spiral_x, spiral_y, f"{depth} hidden layer(s) of 32: accuracy {depth_accuracy[depth]:.2f}")
    fig.suptitle("Two spirals: deeper nets fold the boundary more often")
    figures.append(_common.save_figure(fig, args.out, "xor_depth_boundaries.png"))

    rows = [{"data": "XOR", "model": "perceptron", "train_accuracy": perceptron_accuracy},
            {"data": "XOR", "model": "MLP (8,)", "train_accuracy": mlp_accuracy}]
    rows += [{"data": "spirals", "model": f"MLP (32,) x {depth}" if depth else "perceptron", "train_accuracy": acc}
             for depth, acc in depth_accuracy.items()]
    _common.print_table("Training accuracy", rows)
    print(f"\nThe perceptron is stuck near 75% or below on XOR (no line separates it); one hidden layer "
          f"solves it ({mlp_accuracy:.0%}).")
    print(f"Plots: {', '.join(figures)}")
    return {
        "perceptron_accuracy": perceptron_accuracy,
        "mlp_accuracy": mlp_accuracy,
        "depth_accuracy": depth_accuracy,
        "figures": figures,
    }


if __name__ == "__main__":
    main()
