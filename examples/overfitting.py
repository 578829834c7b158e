"""Overfitting and underfitting: a big MLP on 200 noisy digits, and seven ways to regularise it.

The training set is small (200 images) and a quarter of its labels are wrong, so a 256x256 MLP
can memorise it: training accuracy reaches 100% while the validation loss turns back up, and
`callbacks.GeneralizationMonitor` reports `overfitting`. The remedies, one at a time: L1 and L2
weight penalties, dropout, early stopping (Keras' `EarlyStopping`, best weights restored), data
augmentation (random shifts of the images, Keras' `RandomTranslation`), and label smoothing.
Too much of a remedy fails the other way: with a huge L2 penalty the net cannot even fit the
training data, and the monitor reports `underfitting`.

Run: python -m examples.overfitting [--quick] [--out DIR]
"""

import numpy as np

from examples import _common

NAME = "overfitting"
LABEL_NOISE = 0.25


def setups():
    """`{name: (builder options, extra options)}` for every variant."""
    return {
        "none": ({}, {}),
        "L1 1e-3": ({"l1": 1e-3}, {}),
        "L2 1e-2": ({"l2": 1e-2}, {}),
        "dropout 0.5": ({"dropout": 0.5}, {}),
        "early stopping": ({}, {"early_stopping": True}),
        "augmentation": ({}, {"augment": True}),
        "label smoothing 0.2": ({}, {"label_smoothing": 0.2}),
        "L2 1.0 (too much)": ({"l2": 1.0}, {}),
    }


def train(data, epochs, options, early_stopping=False, augment=False, label_smoothing=0.0):
    """Trains one variant under GeneralizationMonitor; returns (history, findings)."""
    import keras

    import zoo
    from callbacks import GeneralizationMonitor

    (x, y), (x_val, y_val) = data
    model = zoo.build_mlp(input_shape=x.shape[1:], num_classes=10, hidden_units=(256, 256), **options)
    if augment:  # shift each training image by up to one pixel; inactive at inference
        inputs = keras.Input(x.shape[1:])
        shifted = keras.layers.RandomTranslation(0.125, 0.125, fill_mode="constant")(inputs)
        model = keras.Model(inputs, model(shifted))
    model.compile(optimizer=keras.optimizers.Adam(3e-3),
                  loss=keras.losses.CategoricalCrossentropy(label_smoothing=label_smoothing),
                  metrics=["accuracy"])
    callbacks = [GeneralizationMonitor()]
    if early_stopping:
        callbacks.append(keras.callbacks.EarlyStopping(patience=3, restore_best_weights=True))
    one_hot = np.eye(10, dtype="float32")
    history = model.fit(x, one_hot[y], validation_data=(x_val, one_hot[y_val]), epochs=epochs, batch_size=32,
                        verbose=0, callbacks=callbacks).history
    final = model.evaluate(x_val, one_hot[y_val], verbose=0, return_dict=True)
    return history, callbacks[0].findings, float(final["accuracy"])


def main(argv=None):
    args = _common.parse_args(argv, NAME, __doc__.splitlines()[0])
    import matplotlib.pyplot as plt

    from zoo import datasets

    (x, y), (x_val, y_val), _ = datasets.load_digits(layout="image", scale="unit", seed=args.seed)
    rng = np.random.default_rng(args.seed)
    x, y = x[:200], y[:200].copy()
    noisy = rng.random(len(y)) < LABEL_NOISE
    y[noisy] = rng.integers(0, 10, noisy.sum())
    epochs = 20 if args.quick else 50
    print(f"200 training digits, {noisy.mean():.0%} of their labels replaced at random; {epochs} epochs.")

    runs = {}
    for name, (options, extra) in setups().items():
        history, findings, val_accuracy = train(((x, y), (x_val, y_val)), epochs, options, **extra)
        runs[name] = {"history": history, "findings": findings, "val_accuracy": val_accuracy}

    figures = []
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.5))
    for name, run in runs.items():
        history = run["history"]
        gap = np.asarray(history["val_loss"]) - np.asarray(history["loss"])
        axes[0].plot(gap, lw=2.2 if name == "none" else 1.2, label=name)
    axes[0].axhline(0, color="gray", lw=0.5)
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("validation loss - training loss")
    axes[0].set_title("The train-validation gap")
    axes[0].legend(fontsize=7)
    names = list(runs)
    train_acc = [runs[n]["history"]["accuracy"][-1] for n in names]
    val_acc = [runs[n]["val_accuracy"] for n in names]
    positions = np.arange(len(names))
    axes[1].bar(positions - 0.2, train_acc, 0.4, label="training (noisy labels)")
    axes[1].bar(positions + 0.2, val_acc, 0.4, label="validation")
    axes[1].set_xticks(positions)
    axes[1].set_xticklabels(names, rotation=30, ha="right", fontsize=8)
    axes[1].set_ylim(0, 1.05)
    axes[1].set_title("Accuracy at the end")
    axes[1].legend(fontsize=8)
    figures.append(_common.save_figure(fig, args.out, "overfitting.png"))

    rows, outcome = [], {"runs": {}, "figures": figures}
    for name, run in runs.items():
        history = run["history"]
        kinds = sorted({f.kind for f in run["findings"]})
        outcome["runs"][name] = {
            "train_accuracy": float(history["accuracy"][-1]),
            "val_accuracy": run["val_accuracy"],
            "final_gap": float(history["val_loss"][-1] - history["loss"][-1]),
            "epochs_run": len(history["loss"]),
            "findings": kinds,
        }
        rows.append({"variant": name, "epochs": len(history["loss"]), "train_acc": history["accuracy"][-1],
                     "val_acc": run["val_accuracy"], "gap": outcome["runs"][name]["final_gap"],
                     "findings": ", ".join(kinds) or "none"})
    _common.print_table("Results (gap: validation loss - training loss at the last epoch)", rows)
    for name in ("none", "L2 1.0 (too much)"):
        for finding in runs[name]["findings"]:
            print(f"\n{name}: {finding.kind}: {finding.message}\n  try: {finding.advice[0]}")
    print(f"\nPlots: {', '.join(figures)}")
    return outcome


if __name__ == "__main__":
    main()
