"""Repair: three broken runs, each given to `diagnostics.repair`, which finds and proves the fix.

Each run is an ordinary compiled Keras model on 8x8 digits with a classic mistake:

1. a deep sigmoid stack: each sigmoid passes back at most a quarter of the gradient, so the first
   layers barely learn (`vanishing_gradient`); the cure is ReLU with He initialization, or
   normalization;
2. a too-high learning rate: plain SGD at 10 kills the ReLUs or diverges; the cure is a rate
   from the learning-rate range test;
3. a one-unit softmax under binary cross-entropy: softmax over one unit is always 1, so the model
   answers "yes" to everything (Keras computes the loss from the logits behind the softmax, so
   the run's own `val_loss` even looks fine); the cure is a sigmoid output (or two units).

`repair(model, x, y, ...)` takes the same arguments as `fit`. It runs the baseline under
`TrainingDiagnostics` at two seeds, tries the findings' remedies on clones by successive halving
within 1.5 baseline fits of optimizer steps, and accepts a change only when it clears the errors
and beats the baseline by more than the seed-to-seed spread. The user's model is never touched.
This script then trains the accepted `result.model` as a user would (`fit(x, y,
**result.fit_kwargs)`), plots the validation accuracy (Keras' metric) of the baseline's first seed
and of that fit, and writes each
`result.report(...)` (markdown and the trial curves) into `<out>/<case>/`.

Run: python -m examples.repair [--quick] [--out DIR]
"""

import os

import numpy as np

from examples import _common

NAME = "repair"

CASES = [
    ("deep_sigmoid", "1. deep sigmoid stack"),
    ("high_learning_rate", "2. SGD at learning rate 10"),
    ("one_unit_softmax", "3. one-unit softmax, binary labels"),
]


def build_case(key, x_shape, depth):
    """The broken model of case `key`, compiled; returns `(model, binary_labels)`."""
    import keras
    from keras import layers

    if key == "deep_sigmoid":
        hidden = [layers.Dense(32, activation="sigmoid") for _ in range(depth)]
        model = keras.Sequential([keras.Input(x_shape), *hidden, layers.Dense(10, activation="softmax")],
                                 name="deep_sigmoid")
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.01, momentum=0.9),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return model, False
    if key == "high_learning_rate":
        model = keras.Sequential([keras.Input(x_shape), layers.Dense(64, activation="relu"),
                                  layers.Dense(10, activation="softmax")], name="high_learning_rate")
        model.compile(optimizer=keras.optimizers.SGD(learning_rate=10.0),
                      loss="sparse_categorical_crossentropy", metrics=["accuracy"])
        return model, False
    model = keras.Sequential([keras.Input(x_shape), layers.Dense(32, activation="relu"),
                              layers.Dense(1, activation="softmax")], name="one_unit_softmax")
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy", metrics=["accuracy"])
    return model, True


def run_case(key, data, depth, epochs, out):
    """Repairs one case and trains the accepted model; returns what the plots and table need."""
    from diagnostics.repairing import repair

    (x, y), (x_val, y_val) = data
    model, binary = build_case(key, x.shape[1:], depth)  # compiled with metrics=["accuracy"]
    if binary:
        y, y_val = (y >= 5).astype("float32"), (y_val >= 5).astype("float32")
    result = repair(model, x, y, validation_data=(x_val, y_val), epochs=epochs, batch_size=32, verbose=1)
    print(result)
    report = result.report(os.path.join(out, key))
    outcome = {"result": result, "report": report, "before_history": result.baseline.history,
               "after_history": None}
    if result.accepted is not None:
        history = result.model.fit(x, y, validation_data=(x_val, y_val), epochs=epochs, batch_size=32,
                                   verbose=0, **result.fit_kwargs)
        outcome["after_history"] = history.history
    return outcome


def plot_before_after(runs, out):
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(runs), figsize=(4.5 * len(runs), 4), sharey=True)
    for ax, (key, title) in zip(np.atleast_1d(axes), CASES):
        run = runs[key]
        before = run["before_history"].get("val_accuracy", [])
        ax.plot(range(1, len(before) + 1), before, "o-", color="tab:red", ms=3, label="before (baseline)")
        if run["after_history"] is not None:
            after = run["after_history"].get("val_accuracy", [])
            ax.plot(range(1, len(after) + 1), after, "o-", color="tab:green", ms=3, label="after repair")
        change = run["result"].changes[0] if run["result"].changes else "nothing accepted"
        ax.set_title(f"{title}\n{_shorten(change)}", fontsize=9)
        ax.set_xlabel("epoch")
        ax.set_ylim(0, 1)
        ax.legend(fontsize=8)
    np.atleast_1d(axes)[0].set_ylabel("validation accuracy (Keras metric)")
    fig.suptitle("Before and after diagnostics.repair", y=1.04)
    return _common.save_figure(fig, out, "repair_before_after.png")


def _last(history, key):
    """The last value of `history[key]` (the first seed's, for the baseline); NaN if none."""
    values = (history or {}).get(key) or [float("nan")]
    return float(values[-1])


def _shorten(text, width=60):
    return text if len(text) <= width else text[: width - 1] + "…"


def main(argv=None):
    args = _common.parse_args(argv, NAME, __doc__.splitlines()[0])
    _common.quiet_tensorflow()
    from zoo import datasets

    (x, y), (x_val, y_val), _ = datasets.load_digits(layout="flat", scale="unit", seed=args.seed)
    if args.quick:
        depth, epochs = 6, 3
        x, y, x_val, y_val = x[:600], y[:600], x_val[:180], y_val[:180]
    else:
        depth, epochs = 10, 8
    print(f"{len(x)} training digits, {epochs} epochs per fit; each repair at 2 seeds, budget 1.5.")

    runs = {}
    for key, title in CASES:
        print(f"\n== {title}")
        runs[key] = run_case(key, ((x, y), (x_val, y_val)), depth, epochs, args.out)

    rows = []
    for key, title in CASES:
        run, result = runs[key], runs[key]["result"]
        rows.append({
            "case": title,
            "lead finding": result.baseline.reason.replace("lead finding: ", ""),
            "accepted": result.accepted.name if result.accepted else "nothing",
            "accuracy before": _last(run["before_history"], "val_accuracy"),
            "accuracy after": _last(run["after_history"], "val_accuracy"),
            "work (x baseline)": result.work,
            "wall (x baseline)": result.wall_ratio,
        })
    _common.print_table("Repairs (validation accuracy at the last epoch, before and after)", rows)
    for key, title in CASES:
        print(f"\n{title}: " + ("; ".join(runs[key]["result"].changes) or "nothing accepted"))
    figures = [plot_before_after(runs, args.out)]
    print(f"\nReports: {', '.join(run['report'] for run in runs.values())}\nPlot: {figures[0]}")
    return {
        "cases": {
            key: {
                "lead_finding": run["result"].baseline.findings[0].kind if run["result"].baseline.findings else None,
                "accepted_actions": [remedy.action for remedy in run["result"].accepted.remedies]
                                    if run["result"].accepted else [],
                "changes": run["result"].changes,
                "before_accuracy": _last(run["before_history"], "val_accuracy"),
                "after_accuracy": _last(run["after_history"], "val_accuracy"),
                "work": run["result"].work,
                "budget_steps": run["result"].budget_steps,
                "steps": run["result"].steps,
                "report": run["report"],
            }
            for key, run in runs.items()
        },
        "figures": figures,
    }


if __name__ == "__main__":
    main()
