"""Exploding gradients: large initial weights and a high learning rate, then clipping, then
adaptive gradient clipping.

A 6-layer ReLU MLP whose weights start with standard deviation 0.4 (He initialization would use
0.18 for 64 inputs) multiplies its signal by about 3 per layer, so the first loss is in the
hundreds and the first gradients in the millions. With SGD at learning rate 0.05 one step throws
the weights out of range and the loss turns NaN: `callbacks.GradientMonitor` reports
`exploding_gradient` and `non_finite`. Two cures, same model, same learning rate:

- gradient clipping, `global_clipnorm=1.0`: the step keeps its direction but not its size;
- adaptive gradient clipping (`zoo.optimizers.AdaptiveClipping`, Brock et al., 2021): each unit's
  gradient is clipped relative to the norm of that unit's weights.

Run: python -m examples.exploding_gradients [--quick] [--out DIR]
"""

import numpy as np

from examples import _common

NAME = "exploding_gradients"


def setups():
    """(label, optimizer factory): the same SGD, raw, clipped, and adaptively clipped."""
    import keras

    from zoo import optimizers

    def sgd(**kwargs):
        return keras.optimizers.SGD(0.05, momentum=0.9, **kwargs)

    return [
        ("no clipping", lambda: sgd()),
        ("clipnorm 1.0", lambda: sgd(global_clipnorm=1.0)),
        ("adaptive clipping", lambda: optimizers.AdaptiveClipping(sgd(), clip_factor=0.02)),
    ]


def main(argv=None):
    args = _common.parse_args(argv, NAME, __doc__.splitlines()[0])
    _common.quiet_tensorflow()
    import keras
    import matplotlib.pyplot as plt

    import zoo
    from callbacks import GradientMonitor
    from zoo import datasets

    (x, y), (x_val, y_val), _ = datasets.load_digits(layout="flat", scale="standard", seed=args.seed)
    if args.quick:
        x, y = x[:600], y[:600]
    epochs = 3 if args.quick else 15

    runs = {}
    for label, make_optimizer in setups():
        model = zoo.build_mlp(input_shape=(64,), num_classes=10, hidden_units=(64,) * 6, activation="relu",
                              kernel_initializer=keras.initializers.RandomNormal(stddev=0.4, seed=args.seed))
        model.compile(optimizer=make_optimizer(), loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        monitor = GradientMonitor()
        history = model.fit(x, y, validation_data=(x_val, y_val), epochs=epochs, batch_size=32, verbose=0,
                            callbacks=[monitor]).history
        runs[label] = {"history": history, "monitor": monitor}

    figures = []
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.5))
    finite = np.concatenate([np.asarray(run["history"]["loss"], dtype=float) for run in runs.values()])
    nan_level = 3 * np.nanmax(np.where(np.isfinite(finite), finite, np.nan))
    for label, run in runs.items():
        loss = np.asarray(run["history"]["loss"], dtype=float)
        line, = axes[0].semilogy(np.where(np.isfinite(loss), loss, np.nan), "o-", ms=4, label=label)
        bad = np.flatnonzero(~np.isfinite(loss))
        if bad.size:  # NaN cannot be drawn: mark those epochs at the top of the axis instead
            axes[0].plot(bad, np.full(bad.size, nan_level), "x", ms=9, color=line.get_color(), label=f"{label}: NaN")
        monitor = run["monitor"]
        peak = [np.nanmax(np.asarray(monitor.history[f"grad_max/{layer}"], dtype=float)[:1]) for layer in monitor.layers]
        axes[1].semilogy(range(1, len(peak) + 1), peak, "o-", ms=4, label=label)
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("training loss (log)")
    axes[0].set_title("Loss: the unclipped run turns NaN")
    axes[0].legend(fontsize=8)
    layers = runs["no clipping"]["monitor"].layers
    axes[1].set_xticks(range(1, len(layers) + 1))
    axes[1].set_xticklabels(layers, rotation=30, fontsize=8)
    axes[1].set_ylabel("largest step gradient norm, epoch 0 (before clipping)")
    axes[1].set_title("Gradient norm per layer in the first epoch")
    axes[1].legend(fontsize=8)
    figures.append(_common.save_figure(fig, args.out, "exploding_gradients.png"))

    rows, outcome = [], {"runs": {}, "figures": figures}
    for label, run in runs.items():
        history, findings = run["history"], run["monitor"].findings
        final_loss = float(history["loss"][-1])
        outcome["runs"][label] = {"final_loss": final_loss, "val_accuracy": float(history["val_accuracy"][-1]),
                                  "findings": [f.kind for f in findings]}
        rows.append({"setup": label, "final_loss": final_loss, "val_accuracy": history["val_accuracy"][-1],
                     "findings": ", ".join(sorted({f.kind for f in findings})) or "none"})
    _common.print_table(f"Same model, same SGD (lr 0.05, momentum 0.9), {epochs} epochs", rows)
    for label, run in runs.items():
        for finding in run["monitor"].findings:
            print(f"\n{label}: {finding.kind}: {finding.message}\n  try: {finding.advice[0]}")
    print(f"\nPlots: {', '.join(figures)}")
    return outcome


if __name__ == "__main__":
    main()
