"""Batch, stochastic and mini-batch gradient descent: the same SGD, three batch sizes.

- Batch gradient descent uses every example for each update: exact gradients, smooth paths, but
  one update per epoch.
- Stochastic gradient descent updates after every single example: many cheap, noisy updates per
  epoch; it gets close fast and then jitters around the minimum.
- Mini-batch gradient descent (here 32 examples) sits in between, and is what everyone uses:
  nearly as many updates as SGD, much less noise, and vectorised work per update.

Shown twice: on a line fit with two parameters, whose paths can be drawn over the loss contours,
and on softmax regression of 8x8 digits, where loss per epoch and time per epoch are compared.

Run: python -m examples.gradient_descent [--quick] [--out DIR]
"""

import time

import numpy as np

from examples import _common

NAME = "gradient_descent"
TRUE_SLOPE, TRUE_INTERCEPT = 2.0, -1.0


def variants(n):
    """(name, batch size) of the three variants for a training set of `n` examples."""
    return [("batch", n), ("mini-batch (32)", 32), ("stochastic", 1)]


def fit_line(x, y, batch_size, epochs, learning_rate):
    """Fits y = w x + b with plain SGD; returns the (w, b) path, one point per update."""
    import keras

    import zoo

    model = zoo.build_perceptron(input_shape=(1,), num_classes=1, classifier_activation=None,
                                 kernel_initializer="zeros", bias_initializer="zeros")
    model.compile(optimizer=keras.optimizers.SGD(learning_rate), loss="mse")
    path = [(0.0, 0.0)]

    def record(batch, logs):
        kernel, bias = model.get_layer("output").get_weights()
        path.append((float(kernel[0, 0]), float(bias[0])))

    model.fit(x, y, batch_size=batch_size, epochs=epochs, shuffle=True, verbose=0,
              callbacks=[keras.callbacks.LambdaCallback(on_train_batch_end=record)])
    return np.array(path)


def fit_digits(data, batch_size, epochs, learning_rate):
    """Softmax regression on digits with plain SGD; returns (history, seconds per epoch).

    The time per epoch is the median over the epochs after the first (which includes tracing).
    """
    import keras

    import zoo

    (x, y), (x_val, y_val) = data
    model = zoo.build_perceptron(input_shape=x.shape[1:], num_classes=10)
    model.compile(optimizer=keras.optimizers.SGD(learning_rate), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    stamps = []
    clock = keras.callbacks.LambdaCallback(
        on_epoch_begin=lambda epoch, logs: stamps.append(time.perf_counter()),
        on_epoch_end=lambda epoch, logs: stamps.append(time.perf_counter()),
    )
    history = model.fit(x, y, validation_data=(x_val, y_val), batch_size=batch_size, epochs=epochs, verbose=0,
                        callbacks=[clock])
    durations = np.diff(stamps)[::2]
    return history.history, float(np.median(durations[1:] if len(durations) > 1 else durations))


def main(argv=None):
    args = _common.parse_args(argv, NAME, __doc__.splitlines()[0])
    import matplotlib.pyplot as plt

    from zoo import datasets

    rng = np.random.default_rng(args.seed)
    n_line = 100 if args.quick else 200
    x_line = rng.normal(size=(n_line, 1)).astype("float32")
    y_line = (TRUE_SLOPE * x_line + TRUE_INTERCEPT + rng.normal(0, 0.5, size=(n_line, 1))).astype("float32")
    line_epochs = 3 if args.quick else 5
    paths = {name: fit_line(x_line, y_line, size, line_epochs, 0.05) for name, size in variants(n_line)}

    (x, y), (x_val, y_val), _ = datasets.load_digits(layout="flat", scale="unit", seed=args.seed)
    if args.quick:
        x, y = x[:300], y[:300]
    digit_epochs = 4 if args.quick else 15
    digits = {name: fit_digits(((x, y), (x_val, y_val)), size, digit_epochs, 0.05) for name, size in variants(len(x))}

    figures = []
    fig, axes = plt.subplots(1, 2, figsize=(12, 5), gridspec_kw={"width_ratios": [1.2, 1]})
    slopes, intercepts = np.meshgrid(np.linspace(-0.5, 3.0, 120), np.linspace(-2.0, 0.5, 120))
    residuals = slopes[..., None] * x_line[:, 0] + intercepts[..., None] - y_line[:, 0]
    axes[0].contour(slopes, intercepts, np.mean(residuals**2, axis=-1), levels=20, colors="0.75", linewidths=0.6)
    for (name, _), color in zip(variants(n_line), ("tab:blue", "tab:green", "tab:red")):
        path = paths[name]
        axes[0].plot(path[:, 0], path[:, 1], ".-", ms=3, lw=0.8, color=color, label=f"{name}: {len(path) - 1} updates")
    axes[0].plot(TRUE_SLOPE, TRUE_INTERCEPT, "*", ms=14, color="black")
    axes[0].set_xlabel("slope w")
    axes[0].set_ylabel("intercept b")
    axes[0].set_title(f"Fitting a line, {line_epochs} epochs each, learning rate 0.05")
    axes[0].legend(fontsize=8)
    for (name, _), color in zip(variants(len(x)), ("tab:blue", "tab:green", "tab:red")):
        history, seconds = digits[name]
        axes[1].plot(range(1, digit_epochs + 1), history["loss"], "o-", ms=3, color=color,
                     label=f"{name} ({seconds:.2f} s/epoch)")
    axes[1].set_xlabel("epoch")
    axes[1].set_ylabel("training loss")
    axes[1].set_title("Softmax regression of digits: loss per epoch")
    axes[1].legend(fontsize=8)
    figures.append(_common.save_figure(fig, args.out, "gradient_descent_variants.png"))

    outcome = {"line": {}, "digits": {}, "figures": figures}
    rows = []
    for name, size in variants(len(x)):
        path = paths[name]
        losses = np.mean((path[:, :1] * x_line[:, 0] + path[:, 1:] - y_line[:, 0]) ** 2, axis=1)
        history, seconds = digits[name]
        outcome["line"][name] = {
            "updates": len(path) - 1,
            "final": path[-1].tolist(),
            "error": float(np.hypot(path[-1, 0] - TRUE_SLOPE, path[-1, 1] - TRUE_INTERCEPT)),
            # Noisy gradients: the share of updates that make the loss on all the data worse.
            "uphill_fraction": float(np.mean(np.diff(losses) > 0)),
        }
        outcome["digits"][name] = {"loss": float(history["loss"][-1]), "val_accuracy": float(history["val_accuracy"][-1]),
                                   "seconds_per_epoch": seconds}
        rows.append({"variant": name, "batch_size": size,
                     "line_updates": outcome["line"][name]["updates"], "line_error": outcome["line"][name]["error"],
                     "line_uphill": outcome["line"][name]["uphill_fraction"],
                     "digits_loss": history["loss"][-1], "digits_val_acc": history["val_accuracy"][-1],
                     "s_per_epoch": seconds})
    _common.print_table(f"After the same number of epochs (line: {line_epochs}, digits: {digit_epochs})", rows)
    print("\nPer epoch, smaller batches make more progress (more updates); per update, bigger batches are "
          "smoother. Mini-batches get most of both.")
    print(f"Plots: {', '.join(figures)}")
    return outcome


if __name__ == "__main__":
    main()
