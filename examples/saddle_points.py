"""Saddle point, plateau or minimum? The curvature diagnosis at work.

When training stalls (the loss stops improving while the gradient norm falls), the loss curve
alone cannot say why. `callbacks.StallMonitor` probes the Hessian at the stall (Lanczos on
Hessian-vector products, `diagnostics.hessian`) and classifies it (`diagnostics.stall`):

- saddle point: a clearly negative eigenvalue, a way down that gradient descent barely takes;
- plateau: a nearly flat spectrum at a high loss, no direction resolved at this step size;
- minimum: positive curvature; nothing to fix.

To see the three cases exactly, the "network" here has two weights (a, b) and its loss is a
chosen function of them, trained by Keras' SGD in `fit` like any model:

- saddle: 5 (a^2 + b^4/4 - b^2/2) from (1, 0.00001): SGD slides into the saddle at the origin;
- plateau: 3 + exp(-a) + exp(-b) from (0, 0): the loss stays high while its gradient and
  curvature fade along an exponential tail, as with saturated units;
- minimum: (a - 1)^2 + (b + 0.5)^2 from (3, 2).

A fourth run repeats the saddle with `StallMonitor(escape="perturb")`, which steps along the
negative-curvature eigenvector at the stall and reaches the minimum (loss -1.25).

Run: python -m examples.saddle_points [--quick] [--out DIR]
"""

import numpy as np

from examples import _common

NAME = "saddle_points"
STEPS_PER_EPOCH = 10


def _saddle(a, b):
    return 5.0 * (a**2 + 0.25 * b**4 - 0.5 * b**2)


def _plateau(a, b):
    from keras import ops

    return 3.0 + ops.exp(-a) + ops.exp(-b)


def _minimum(a, b):
    return (a - 1.0) ** 2 + (b + 0.5) ** 2


SURFACES = {"saddle": (_saddle, (1.0, 1e-5)), "plateau": (_plateau, (0.0, 0.0)), "minimum": (_minimum, (3.0, 2.0))}


def two_weight_model(surface, start):
    """A Keras model whose only weights are (a, b); its loss is `surface(a, b)`.

    The input is the 2x2 identity, so the output rows are exactly a and b.
    """
    import keras

    model = keras.Sequential([
        keras.Input((2,)),
        keras.layers.Dense(1, use_bias=False, kernel_initializer=keras.initializers.Constant(np.array(start)[:, None]),
                           name="ab"),
    ], name="two_weights")

    def loss(y_true, y_pred):
        return surface(y_pred[0, 0], y_pred[1, 0])

    model.compile(optimizer=keras.optimizers.SGD(0.005), loss=loss)
    return model


def train(surface, start, epochs, escape=None):
    """Trains on the surface under StallMonitor; returns (path of (a, b) per epoch, losses, monitor)."""
    import keras

    from callbacks import StallMonitor

    model = two_weight_model(surface, start)
    identity = np.eye(2, dtype="float32")
    x, y = np.tile(identity, (STEPS_PER_EPOCH, 1)), np.zeros((2 * STEPS_PER_EPOCH, 1), "float32")
    monitor = StallMonitor(probe_data=(identity, y[:2]), probe_size=2, escape=escape)
    path = [np.array(start)]
    record = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: path.append(model.get_layer("ab").get_weights()[0][:, 0].copy()))
    history = model.fit(x, y, batch_size=2, epochs=epochs, shuffle=False, verbose=0, callbacks=[monitor, record])
    return np.array(path), history.history["loss"], monitor


def main(argv=None):
    args = _common.parse_args(argv, NAME, __doc__.splitlines()[0])
    _common.quiet_tensorflow()
    import matplotlib.pyplot as plt

    epochs = 40  # the same in --quick: two weights train fast, and by epoch 60 plain SGD has left the saddle too
    runs = {name: train(surface, start, epochs) for name, (surface, start) in SURFACES.items()}
    runs["saddle + escape"] = train(*SURFACES["saddle"], epochs, escape="perturb")

    figures = []
    fig, axes = plt.subplots(1, 4, figsize=(19, 4.3))
    limits = {"saddle": ((-1.3, 1.3), (-1.4, 1.4)), "plateau": ((-0.5, 3), (-0.5, 3)), "minimum": ((-0.5, 3.5), (-1.5, 2.5))}
    for ax, name in zip(axes[:3], SURFACES):
        surface = SURFACES[name][0]
        (x0, x1), (y0, y1) = limits[name]
        grid_a, grid_b = np.meshgrid(np.linspace(x0, x1, 150), np.linspace(y0, y1, 150))
        values = np.asarray(surface(grid_a, grid_b))
        ax.contour(grid_a, grid_b, values, levels=20, colors="0.7", linewidths=0.6)
        path = runs[name][0]
        ax.plot(path[:, 0], path[:, 1], "o-", ms=2.5, lw=1, label="SGD")
        if name == "saddle":
            escaped = runs["saddle + escape"][0]
            ax.plot(escaped[:, 0], escaped[:, 1], "o-", ms=2.5, lw=1, label="SGD + StallMonitor(escape='perturb')")
            ax.legend(fontsize=7, loc="lower right")
        verdicts = ", ".join(f.kind for f in runs[name][2].findings) or "no finding (minimum)"
        ax.set_title(f"{name}: {verdicts}", fontsize=10)
        ax.set_xlabel("a")
        ax.set_ylabel("b")
    for name, (_, losses, monitor) in runs.items():
        axes[3].plot(losses, label=name)
        for probe in monitor.probes:
            axes[3].plot(probe["epoch"], losses[probe["epoch"]], "kx", ms=8)
    axes[3].set_xlabel("epoch")
    axes[3].set_ylabel("loss")
    axes[3].set_title("Loss; x marks a curvature probe at a stall")
    axes[3].legend(fontsize=7)
    figures.append(_common.save_figure(fig, args.out, "saddle_points.png"))

    rows, outcome = [], {"runs": {}, "figures": figures}
    for name, (path, losses, monitor) in runs.items():
        probe = monitor.probes[0] if monitor.probes else {}
        outcome["runs"][name] = {
            "findings": [f.kind for f in monitor.findings],
            "final_loss": float(losses[-1]),
            "probes": [{k: v for k, v in p.items() if isinstance(v, (int, float, str)) or v is None}
                       for p in monitor.probes],
        }
        rows.append({"run": name, "stall_epoch": probe.get("epoch", "-"),
                     "min_eigenvalue": probe.get("min_eigenvalue", float("nan")),
                     "max_eigenvalue": probe.get("max_eigenvalue", float("nan")),
                     "verdict": ", ".join(outcome["runs"][name]["findings"]) or "none (minimum)",
                     "final_loss": float(losses[-1])})
    _common.print_table("What StallMonitor saw at the first stall", rows)
    for name, (_, _, monitor) in runs.items():
        for finding in monitor.findings[:1]:
            print(f"\n{name}: {finding.kind}: {finding.message}\n  try: {finding.advice[0]}")
    print(f"\nPlots: {', '.join(figures)}")
    return outcome


if __name__ == "__main__":
    main()
