"""Activation functions compared, and dead ReLUs with their cure.

Part 1 trains the same deep MLP on 8x8 digits with eight hidden activations: sigmoid, tanh,
softsign (saturating: their derivative is near zero away from the origin, and at most 0.25 for
the sigmoid), ReLU, softplus, leaky ReLU, ELU and swish (non-saturating for positive inputs).
`callbacks.GradientMonitor` measures how much gradient reaches the first layer compared with
the output layer.

Part 2 kills ReLUs on purpose: hidden biases start at -2, so most pre-activations are negative,
those units output exactly zero and pass no gradient, so they never recover.
`callbacks.ActivationMonitor` finds them (`dead_relu`). Two cures: ELU, which has a gradient for
negative inputs, and ReLU with the usual zero biases and He initialization.

Run: python -m examples.activations [--quick] [--out DIR]
"""

import numpy as np

from examples import _common

NAME = "activations"
ACTIVATIONS = ["sigmoid", "tanh", "softsign", "relu", "softplus", "leaky_relu", "elu", "swish"]
SATURATING = ("sigmoid", "tanh", "softsign")


def fit(data, epochs, monitor, **options):
    """Trains a digits MLP with SGD + momentum; returns the Keras history dict."""
    import keras

    import zoo

    (x, y), (x_val, y_val) = data
    model = zoo.build_mlp(input_shape=x.shape[1:], num_classes=10, **options)
    model.compile(optimizer=keras.optimizers.SGD(0.02, momentum=0.9), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    return model.fit(x, y, validation_data=(x_val, y_val), epochs=epochs, batch_size=32, verbose=0,
                     callbacks=[monitor]).history


def plot_functions(ax_value, ax_slope):
    """Each activation and its derivative on [-5, 5]."""
    import keras
    import tensorflow as tf

    z = tf.constant(np.linspace(-5, 5, 401, dtype="float32"))
    for name in ACTIVATIONS:
        with tf.GradientTape() as tape:
            tape.watch(z)
            value = keras.activations.get(name)(z)
        slope = tape.gradient(value, z)
        style = "--" if name in SATURATING else "-"
        ax_value.plot(z, value, style, label=name)
        ax_slope.plot(z, slope, style, label=name)
    ax_value.set_ylim(-2, 5)
    ax_value.set_title("activation f(z)")
    ax_slope.set_title("derivative f'(z): what passes back")
    ax_value.legend(fontsize=7)
    for ax in (ax_value, ax_slope):
        ax.axhline(0, color="gray", lw=0.5)
        ax.set_xlabel("z")


def main(argv=None):
    args = _common.parse_args(argv, NAME, __doc__.splitlines()[0])
    import keras
    import matplotlib.pyplot as plt

    from callbacks import ActivationMonitor, GradientMonitor
    from zoo import datasets

    (x, y), (x_val, y_val), _ = datasets.load_digits(layout="flat", scale="standard", seed=args.seed)
    if args.quick:
        x, y = x[:500], y[:500]
        depth, epochs, dead_epochs = 5, 3, 3
    else:
        depth, epochs, dead_epochs = 8, 15, 10
    data = ((x, y), (x_val, y_val))

    compared = {}
    for name in ACTIVATIONS:
        monitor = GradientMonitor()
        history = fit(data, epochs, monitor, hidden_units=(64,) * depth, activation=name)
        first, last = monitor.layers[0], monitor.layers[-1]
        ratio = np.asarray(monitor.history[f"grad_norm/{first}"]) / np.asarray(monitor.history[f"grad_norm/{last}"])
        compared[name] = {"val_accuracy": float(history["val_accuracy"][-1]), "curve": history["val_accuracy"],
                          "gradient_ratio": float(np.nanmean(ratio))}

    dead_setups = {
        "ReLU, biases -2": {"activation": "relu", "bias_initializer": keras.initializers.Constant(-2.0)},
        "ELU, biases -2": {"activation": "elu", "bias_initializer": keras.initializers.Constant(-2.0)},
        "ReLU, biases 0": {"activation": "relu"},
    }
    dead = {}
    for label, options in dead_setups.items():
        monitor = ActivationMonitor(probe_data=x_val)
        history = fit(data, dead_epochs, monitor, hidden_units=(64,) * 4, kernel_initializer="he_normal", **options)
        fractions = {key.split("/", 1)[1]: float(values[-1]) for key, values in monitor.history.items()
                     if key.startswith("dead_frac/")}
        dead[label] = {"val_accuracy": float(history["val_accuracy"][-1]), "dead_fraction": fractions,
                       "findings": monitor.findings}

    figures = []
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.5))
    plot_functions(axes[0], axes[1])
    for name in ACTIVATIONS:
        axes[2].plot(compared[name]["curve"], "--" if name in SATURATING else "-", label=name)
    axes[2].set_xlabel("epoch")
    axes[2].set_ylabel("validation accuracy")
    axes[2].set_title(f"{depth}-layer MLP on digits, same SGD")
    axes[2].legend(fontsize=7)
    figures.append(_common.save_figure(fig, args.out, "activations_compared.png"))

    fig, axes = plt.subplots(1, 2, figsize=(12, 4))
    names = list(compared)
    axes[0].bar(names, [compared[n]["gradient_ratio"] for n in names],
                color=["tab:orange" if n in SATURATING else "tab:blue" for n in names])
    axes[0].set_yscale("log")
    axes[0].set_ylabel("first-layer / output-layer gradient norm")
    axes[0].set_title("Gradient reaching the first layer (orange: saturating)")
    axes[0].tick_params(axis="x", rotation=30)
    width = 0.8 / len(dead)
    for index, (label, result) in enumerate(dead.items()):
        layers = list(result["dead_fraction"])
        axes[1].bar(np.arange(len(layers)) + index * width, list(result["dead_fraction"].values()), width,
                    label=f"{label} (val. acc. {result['val_accuracy']:.2f})")
    layers = list(next(iter(dead.values()))["dead_fraction"]) or ["-"]
    axes[1].set_xticks(np.arange(len(layers)) + width)
    axes[1].set_xticklabels(layers, fontsize=8)
    axes[1].set_ylim(0, 1)
    axes[1].set_ylabel("share of dead units (probe batch)")
    axes[1].set_title("Dead ReLUs, measured by ActivationMonitor")
    axes[1].legend(fontsize=8)
    figures.append(_common.save_figure(fig, args.out, "activations_dead_relu.png"))

    _common.print_table(f"Part 1: {depth}-layer MLP, {epochs} epochs",
                        [{"activation": n, "val_accuracy": r["val_accuracy"], "first/output gradient": r["gradient_ratio"]}
                         for n, r in compared.items()])
    _common.print_table("Part 2: dead ReLUs", [
        {"setup": label, "val_accuracy": r["val_accuracy"],
         "max dead share": max(r["dead_fraction"].values(), default=float("nan")),
         "findings": ", ".join(f.kind for f in r["findings"]) or "none"} for label, r in dead.items()])
    for label, result in dead.items():
        for finding in result["findings"]:
            print(f"\n{label}: {finding.kind}: {finding.message}\n  try: {finding.advice[0]}")
    print(f"\nPlots: {', '.join(figures)}")
    return {
        "compared": {n: {k: v for k, v in r.items() if k != "curve"} for n, r in compared.items()},
        "dead": {label: {"val_accuracy": r["val_accuracy"], "dead_fraction": r["dead_fraction"],
                         "findings": [f.kind for f in r["findings"]]} for label, r in dead.items()},
        "figures": figures,
    }


if __name__ == "__main__":
    main()
