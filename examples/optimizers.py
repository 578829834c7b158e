"""Optimizers on contour maps and at a saddle point: Keras' classic optimizers and the project's own.

Each optimizer minimises two functions of (x, y) from the same start, with its own sensible
learning rate:

- Beale's function, a curved valley with its minimum at (3, 0.5): which optimizers follow the
  valley, which overshoot, which crawl.
- A saddle, f = 5 (x^2 + y^4/4 - y^2/2): a saddle point at the origin and minima at (0, +-1).
  Starting at (1, 0.00001), almost on the ridge line y = 0, plain SGD slides into the saddle and
  stays there, because the gradient across the ridge is tiny; momentum escapes late and the
  adaptive methods, which rescale that tiny gradient, escape at once. This is the classic
  "optimizers at a saddle point" figure, computed rather than drawn.
- The same saddle started exactly on the ridge (y = 0): the gradient across it is exactly zero, so
  every deterministic method converges to the saddle point. Only noise gets out: the project's
  PerturbedSGD adds a small random kick when the gradient is small (Jin et al., 2017).

The project's `SAM`, `SWA` and `AdaptiveClipping` act on whole models and layers, not on a point
in the plane; they appear in the overfitting and exploding-gradient examples. RAdam takes plain
momentum steps (no adaptive scaling) for its first few updates, so its learning rate has to suit
SGD: Beale's steep walls throw it off course with Adam's learning rate.

Run: python -m examples.optimizers [--quick] [--out DIR]
"""

import numpy as np

from examples import _common

NAME = "optimizers"

BEALE_START, BEALE_MINIMUM = (1.0, 1.5), (3.0, 0.5)
SADDLE_START, RIDGE_START = (1.0, 1e-5), (1.0, 0.0)
ESCAPED = 0.5  # |y| beyond this: the run has left the saddle for a minimum
QUICK = ("SGD", "Momentum", "Adagrad", "RMSprop", "Adam", "PerturbedSGD", "Yogi")


def beale(x, y):
    return (1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2


def saddle(x, y):
    return 5.0 * (x**2 + 0.25 * y**4 - 0.5 * y**2)


def keras_optimizers():
    """Keras' classic optimizers, each with a learning rate suited to these toy problems."""
    import keras

    return {
        "SGD": lambda: keras.optimizers.SGD(0.005),
        "Momentum": lambda: keras.optimizers.SGD(0.005, momentum=0.9),
        "Nesterov": lambda: keras.optimizers.SGD(0.005, momentum=0.9, nesterov=True),
        "Adagrad": lambda: keras.optimizers.Adagrad(0.5),
        "Adadelta": lambda: keras.optimizers.Adadelta(1.0),
        "RMSprop": lambda: keras.optimizers.RMSprop(0.01),
        "Adam": lambda: keras.optimizers.Adam(0.05),
        "Adamax": lambda: keras.optimizers.Adamax(0.05),
        "Nadam": lambda: keras.optimizers.Nadam(0.05),
        "AdamW": lambda: keras.optimizers.AdamW(0.05),
        "Ftrl": lambda: keras.optimizers.Ftrl(0.5),
        "Lion": lambda: keras.optimizers.Lion(0.01),
    }


def project_optimizers():
    """The project's own optimizers (`zoo.optimizers`), same footing."""
    import keras

    from zoo import optimizers

    return {
        "PerturbedSGD": lambda: optimizers.PerturbedSGD(0.005, gradient_threshold=0.05, perturbation_radius=0.1, seed=0),
        "RAdam": lambda: optimizers.RAdam(0.01),
        "Yogi": lambda: optimizers.Yogi(0.05),
        "AdaBelief": lambda: optimizers.AdaBelief(0.05),
        "LARS": lambda: optimizers.LARS(1.0, trust_coefficient=0.01),
        "Lookahead(Adam)": lambda: optimizers.Lookahead(keras.optimizers.Adam(0.05)),
    }


def descend(make_optimizer, problems, steps):
    """Runs a fresh optimizer on each 2-D problem (one variable each), all inside one tf.function.

    Returns one `(steps + 1, 2)` array of positions per problem, the start included.
    """
    import keras
    import tensorflow as tf

    variables = [keras.Variable(np.array(start, "float32")) for _, start in problems]
    optimizers = [make_optimizer() for _ in problems]
    for optimizer, variable in zip(optimizers, variables):
        optimizer.build([variable])

    @tf.function
    def run():
        paths = [tf.TensorArray(tf.float32, size=steps) for _ in variables]
        for step in tf.range(steps):
            for (f, _), variable, optimizer in zip(problems, variables, optimizers):
                with tf.GradientTape() as tape:
                    loss = f(variable[0], variable[1])
                optimizer.apply([tape.gradient(loss, variable.value)], [variable])
            paths = [path.write(step, tf.identity(v.value)) for path, v in zip(paths, variables)]
        return [path.stack() for path in paths]

    return [np.concatenate([[start], path.numpy()]) for (_, start), path in zip(problems, run())]


def escape_step(path):
    """First step at which |y| exceeds `ESCAPED`, or None if the run never left the saddle."""
    away = np.flatnonzero(np.abs(path[:, 1]) > ESCAPED)
    return int(away[0]) if away.size else None


def _contours(ax, f, xlim, ylim, levels):
    x, y = np.meshgrid(np.linspace(*xlim, 200), np.linspace(*ylim, 200))
    ax.contour(x, y, f(x, y), levels=levels, colors="0.75", linewidths=0.6)
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_xlabel("x")
    ax.set_ylabel("y")


def _plot_paths(ax, paths, names, colors):
    for name in names:
        ax.plot(paths[name][:, 0], paths[name][:, 1], "-", lw=1.3, color=colors[name], label=name)
        ax.plot(*paths[name][-1], "o", ms=3, color=colors[name])


def main(argv=None):
    args = _common.parse_args(argv, NAME, __doc__.splitlines()[0])
    _common.quiet_tensorflow()
    import matplotlib.pyplot as plt

    steps = 400  # cheap: the cost is tracing one tf.function per optimizer
    makers = {**keras_optimizers(), **project_optimizers()}
    if args.quick:  # tracing one tf.function per optimizer is the cost: keep a representative few
        makers = {name: makers[name] for name in QUICK}
    beale_paths, saddle_paths, ridge_paths = {}, {}, {}
    for name, make in makers.items():
        problems = [(beale, BEALE_START), (saddle, SADDLE_START), (saddle, RIDGE_START)]
        beale_paths[name], saddle_paths[name], ridge_paths[name] = descend(make, problems, steps)

    names = list(makers)
    colors = dict(zip(names, plt.cm.tab20(np.linspace(0, 1, max(len(names), 2)))))
    groups = [("Keras", [name for name in keras_optimizers() if name in makers])]
    own = [name for name in project_optimizers() if name in makers]
    if own:
        groups.append(("zoo.optimizers (SGD and Adam for reference)", ["SGD", "Adam", *own]))

    figures = []
    fig, axes = plt.subplots(1, len(groups), figsize=(7 * len(groups), 5.5), squeeze=False)
    for ax, (title, group) in zip(axes[0], groups):
        _contours(ax, beale, (-0.5, 4.0), (-1.6, 2.0), np.logspace(-1, 3.5, 25))
        _plot_paths(ax, beale_paths, group, colors)
        ax.plot(*BEALE_MINIMUM, "*", ms=14, color="black")
        ax.set_title(f"Beale's function, {steps} steps: {title}")
        ax.legend(fontsize=7, loc="lower right", ncol=2)
    figures.append(_common.save_figure(fig, args.out, "optimizers_contours.png"))

    fig, axes = plt.subplots(1, 3, figsize=(17, 5))
    _contours(axes[0], saddle, (-1.2, 1.2), (-1.4, 1.4), np.linspace(-1.25, 7.5, 15))
    _plot_paths(axes[0], saddle_paths, names, colors)
    axes[0].plot(0, 0, "x", ms=10, color="black")
    axes[0].set_title("Saddle f = 5 (x^2 + y^4/4 - y^2/2), start (1, 0.00001)")
    for ax, paths, title in (
        (axes[1], saddle_paths, "start (1, 0.00001): escaping the saddle"),
        (axes[2], ridge_paths, "start (1, 0) exactly on the ridge: only noise escapes"),
    ):
        for name in names:
            ax.plot([saddle(*p) for p in paths[name]], color=colors[name], label=name)
        ax.axhline(0.0, color="gray", ls=":", lw=0.8)
        ax.set_xlabel("step")
        ax.set_ylabel("f (saddle value 0, minima -1.25)")
        ax.set_title(title)
    axes[1].legend(fontsize=7, ncol=2)
    figures.append(_common.save_figure(fig, args.out, "optimizers_saddle.png"))

    rows, outcome = [], {"beale_loss": {}, "saddle_escape_step": {}, "ridge_escape_step": {}}
    for name in names:
        outcome["beale_loss"][name] = float(beale(*beale_paths[name][-1]))
        outcome["saddle_escape_step"][name] = escape_step(saddle_paths[name])
        outcome["ridge_escape_step"][name] = escape_step(ridge_paths[name])
        rows.append({
            "optimizer": name,
            "beale_f_end": outcome["beale_loss"][name],
            "saddle_escape_step": outcome["saddle_escape_step"][name] or "stuck",
            "ridge_escape_step": outcome["ridge_escape_step"][name] or "stuck",
        })
    _common.print_table(f"After {steps} steps (Beale minimum f = 0; escape = |y| > {ESCAPED})", rows)
    print(f"\nPlots: {', '.join(figures)}")
    outcome["figures"] = figures
    return outcome


if __name__ == "__main__":
    main()
