"""Vanishing gradients, diagnosed and cured: the project's flagship demo.

One deep MLP on 8x8 digits, trained four times with plain SGD and momentum, each time with one more
remedy, and watched by `callbacks.TrainingDiagnostics`:

1. sigmoid with Glorot initialization: each sigmoid layer passes back at most a quarter of the
   gradient, so through many layers it shrinks geometrically; the first layers get almost nothing,
   the net stays at chance, and the diagnostics report `vanishing_gradient`;
2. ReLU with He initialization: the gradient keeps its scale through the layers;
3. + batch normalization: every layer sees standardised inputs, training is faster and steadier;
4. + residual connections: each block adds to an identity path, which carries the gradient
   straight to the input.

For every run the callback writes `run.json` and a report with plots into `<out>/<variant>/`; this
script adds side-by-side gradient heatmaps, the gradient profile over depth, the validation
accuracy, and `summary.md`.

Run: python -m examples.vanishing_gradients [--quick] [--out DIR]
"""

import os

import numpy as np

from examples import _common

NAME = "vanishing_gradients"

VARIANTS = [
    ("sigmoid", "1. sigmoid + Glorot", {"activation": "sigmoid", "kernel_initializer": "glorot_uniform"}),
    ("relu_he", "2. ReLU + He", {"activation": "relu", "kernel_initializer": "he_normal"}),
    ("batch_norm", "3. + batch norm", {"activation": "relu", "kernel_initializer": "he_normal", "normalization": "batch"}),
    ("residual", "4. + residual", {"activation": "relu", "kernel_initializer": "he_normal", "normalization": "batch", "residual": True}),
]


def train_variant(key, options, data, depth, width, epochs, report_dir):
    """Builds and trains one variant under TrainingDiagnostics; returns (model, callback, history)."""
    import keras

    import zoo
    from callbacks import TrainingDiagnostics

    (x, y), (x_val, y_val) = data
    model = zoo.build_mlp(input_shape=x.shape[1:], num_classes=10, hidden_units=(width,) * depth, name=f"mlp_{key}", **options)
    model.compile(
        optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    diagnostics = TrainingDiagnostics(report_dir=report_dir, verbose=0)
    history = model.fit(x, y, validation_data=(x_val, y_val), epochs=epochs, batch_size=32, verbose=0,
                        callbacks=[diagnostics])
    return model, diagnostics, history.history


def dense_gradient_norms(model, history):
    """`(layer names, array epochs x layers)` of gradient norms of the Dense layers, input first."""
    import keras

    from diagnostics.section import layer_series

    layers, values = layer_series(history, "grad_norm")
    dense = [layer.name for layer in model.layers if isinstance(layer, keras.layers.Dense)]
    keep = [index for index, name in enumerate(layers) if name in dense]
    return [layers[index] for index in keep], values[:, keep]


def plot_heatmaps(runs, out):
    import matplotlib.pyplot as plt
    from matplotlib.colors import LogNorm

    all_values = np.concatenate([run["grad_norms"].ravel() for run in runs.values()])
    positive = all_values[np.isfinite(all_values) & (all_values > 0)]
    norm = LogNorm(vmin=max(positive.min(), 1e-12), vmax=positive.max())
    fig, axes = plt.subplots(1, len(runs), figsize=(4 * len(runs), 4.5), sharey=True)
    for ax, run in zip(axes, runs.values()):
        values = np.where(run["grad_norms"] > 0, run["grad_norms"], np.nan)
        image = ax.imshow(np.ma.masked_invalid(values).T, aspect="auto", origin="lower", cmap="viridis",
                          norm=norm, interpolation="nearest")
        ax.set_title(f"{run['title']}\nval. accuracy {run['val_accuracy']:.2f}", fontsize=10)
        ax.set_xlabel("epoch")
    axes[0].set_yticks(range(len(run["layers"])))
    axes[0].set_yticklabels(run["layers"], fontsize=7)
    axes[0].set_ylabel("layer (input at the bottom)")
    fig.colorbar(image, ax=list(axes), label="gradient L2 norm (log scale)")
    fig.suptitle("Per-layer gradient norm during training", y=1.02)
    return _common.save_figure(fig, out, "vanishing_gradients_heatmaps.png")


def plot_profile_and_accuracy(runs, out):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    for run in runs.values():
        first_epoch = run["grad_norms"][0]
        axes[0].semilogy(range(1, len(first_epoch) + 1), first_epoch, "o-", ms=3, label=run["title"])
        axes[1].plot(run["history"]["val_accuracy"], "o-", ms=3, label=run["title"])
    axes[0].set_xlabel("layer depth (1 = next to the input)")
    axes[0].set_ylabel("gradient L2 norm, first epoch")
    axes[0].set_title("How much gradient reaches each layer")
    axes[0].legend(fontsize=8)
    axes[1].axhline(0.1, color="gray", ls=":", label="chance")
    axes[1].set_xlabel("epoch")
    axes[1].set_ylabel("validation accuracy")
    axes[1].set_ylim(0, 1)
    axes[1].set_title("What the network learns")
    axes[1].legend(fontsize=8)
    return _common.save_figure(fig, out, "vanishing_gradients_profile.png")


def write_summary(runs, rows, figures, out, depth, width):
    lines = [
        "# Vanishing gradients: diagnosis and cure",
        "",
        f"A {depth}-layer MLP ({width} units per layer) on 8x8 digits, SGD with momentum, four variants.",
        "",
        "| variant | val. accuracy | input/output gradient | findings | report |",
        "|---|---|---|---|---|",
    ]
    for row, (key, run) in zip(rows, runs.items()):
        lines.append(f"| {row['variant']} | {row['val_accuracy']:.3f} | {row['input/output gradient']:.1e} | "
                     f"{row['findings']} | [{key}/report.md]({key}/report.md) |")
    lines.append("")
    lines += [f"![{os.path.basename(path)}]({os.path.basename(path)})" for path in figures]
    path = os.path.join(out, "summary.md")
    with open(path, "w") as handle:
        handle.write("\n".join(lines) + "\n")
    return path


def main(argv=None):
    args = _common.parse_args(argv, NAME, __doc__.splitlines()[0])
    from zoo import datasets

    (x, y), (x_val, y_val), _ = datasets.load_digits(layout="flat", scale="standard", seed=args.seed)
    if args.quick:
        depth, width, epochs = 6, 32, 3
        x, y = x[:400], y[:400]
    else:
        depth, width, epochs = 16, 64, 15
    print(f"A {depth}-layer MLP on {len(x)} digits, {epochs} epochs per variant.")

    runs = {}
    for key, title, options in VARIANTS:
        report_dir = os.path.join(args.out, key)
        model, diagnostics, history = train_variant(key, options, ((x, y), (x_val, y_val)), depth, width, epochs, report_dir)
        layers, grad_norms = dense_gradient_norms(model, diagnostics.history)
        runs[key] = {
            "title": title,
            "history": history,
            "findings": diagnostics.findings,
            "layers": layers,
            "grad_norms": grad_norms,
            "val_accuracy": float(history["val_accuracy"][-1]),
            "gradient_ratio": float(np.nanmean(grad_norms[:, 0] / grad_norms[:, -1])),
            "report": os.path.join(report_dir, "report.md"),
        }
        print(f"  {title}: validation accuracy {runs[key]['val_accuracy']:.2f}, "
              f"{len(diagnostics.findings)} finding(s)")

    figures = [plot_heatmaps(runs, args.out), plot_profile_and_accuracy(runs, args.out)]
    rows = [
        {
            "variant": run["title"],
            "val_accuracy": run["val_accuracy"],
            "input/output gradient": run["gradient_ratio"],
            "findings": ", ".join(sorted({f.kind for f in run["findings"]})) or "none",
        }
        for run in runs.values()
    ]
    _common.print_table("Results (input/output gradient: first layer's gradient norm over the output layer's)", rows)
    for run in runs.values():
        print(f"\n{run['title']}:")
        for finding in run["findings"]:
            print(f"  {finding.severity.upper()} {finding.kind}: {finding.message}")
            print(f"    try: {finding.advice[0]}")
        if not run["findings"]:
            print("  no problems found.")
    summary = write_summary(runs, rows, figures, args.out, depth, width)
    print(f"\nReports: {', '.join(run['report'] for run in runs.values())}")
    print(f"Summary: {summary}\nPlots: {', '.join(figures)}")
    return {
        "variants": {
            key: {
                "findings": [f.kind for f in run["findings"]],
                "val_accuracy": run["val_accuracy"],
                "gradient_ratio": run["gradient_ratio"],
                "report": run["report"],
            }
            for key, run in runs.items()
        },
        "summary": summary,
        "figures": figures,
    }


if __name__ == "__main__":
    main()
