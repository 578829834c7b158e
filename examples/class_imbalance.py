"""Class imbalance: long-tailed digits (about 1:40) under six remedies.

The training split of the 8x8 digits is made long-tailed: class 0 keeps all its examples, class 9
keeps one in 40, geometric in between; validation and test stay balanced, so they measure every
class equally. A plain classifier learns the prior and neglects the tail. Remedies:

- re-sampling the data: random under-sampling, random over-sampling, SMOTE (new tail examples
  interpolated between neighbours), all from `zoo.data` (TensorFlow kernels, imbalanced-learn's
  interface);
- re-weighting the loss: effective-number class weights (Cui et al., 2019), `zoo.losses`;
- adjusting the logits by the class prior in the loss (Menon et al., 2021), `zoo.losses`.

Every model gets the same number of Adam steps. `callbacks.ImbalanceMonitor` watches each run: it
reports `class_imbalance` when the labels the model trains on are skewed, or when it never
predicts some class on the validation split. Scores: balanced accuracy (mean per-class recall)
and macro-F1 on the balanced test split, from `sklearn.metrics`; plain accuracy would hide the
tail.

Run: python -m examples.class_imbalance [--quick] [--out DIR]
"""

import numpy as np

from examples import _common

NAME = "class_imbalance"
IMBALANCE_RATIO = 40


def remedies(x, y, seed):
    """`{name: (x_train, y_train, class_weight, loss)}` for every remedy."""
    import keras

    from zoo import data, losses

    counts = np.bincount(y, minlength=10)
    plain = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    smallest = int(counts.min())
    return {
        "no remedy": (x, y, None, plain),
        "under-sampling": (*data.RandomUnderSampler(random_state=seed).fit_resample(x, y), None, plain),
        "over-sampling": (*data.RandomOverSampler(random_state=seed).fit_resample(x, y), None, plain),
        "SMOTE": (*data.SMOTE(random_state=seed, k_neighbors=min(5, smallest - 1)).fit_resample(x, y), None, plain),
        "class weights": (x, y, losses.effective_number_class_weights(y, beta=0.999), plain),
        "logit adjustment": (x, y, None, losses.LogitAdjustedLoss(counts)),
    }


def train(x, y, class_weight, loss, steps, seed, validation_data):
    """A one-hidden-layer MLP on logits, `steps` Adam steps on shuffled mini-batches of 32.

    Returns the model and the `ImbalanceMonitor` that watched it.
    """
    import keras
    import tensorflow as tf

    import zoo
    from callbacks import ImbalanceMonitor

    keras.utils.set_random_seed(seed)
    model = zoo.build_mlp(input_shape=x.shape[1:], num_classes=10, hidden_units=(64,), classifier_activation=None)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss=loss)
    batches = tf.data.Dataset.from_tensor_slices((np.asarray(x, "float32"), np.asarray(y, "int32")))
    if class_weight is not None:  # per-example weights: what `fit(class_weight=...)` does for arrays
        weights = np.array([class_weight[int(label)] for label in y], dtype="float32")
        batches = tf.data.Dataset.from_tensor_slices((np.asarray(x, "float32"), np.asarray(y, "int32"), weights))
    batches = batches.shuffle(len(x), seed=seed).repeat().batch(32)
    monitor = ImbalanceMonitor(y=np.asarray(y), validation_data=validation_data)
    model.fit(batches, steps_per_epoch=steps, epochs=1, shuffle=False, verbose=0, callbacks=[monitor])
    return model, monitor


def main(argv=None):
    args = _common.parse_args(argv, NAME, __doc__.splitlines()[0])
    _common.quiet_tensorflow()
    import matplotlib.pyplot as plt
    from sklearn.metrics import balanced_accuracy_score, f1_score, recall_score

    from zoo import datasets

    (x, y), (x_val, y_val), (x_test, y_test) = datasets.load_digits(layout="flat", scale="standard", imbalance_ratio=IMBALANCE_RATIO,
                                                       seed=args.seed)
    counts = np.bincount(y, minlength=10)
    print(f"Training counts per class: {counts.tolist()} (ratio {counts.max() / counts.min():.0f}:1); "
          f"test: {np.bincount(y_test).tolist()}")
    steps = 400 if args.quick else 1500
    seeds = [args.seed] if args.quick else [args.seed + k for k in range(3)]

    scores = {}
    for name, (x_train, y_train, class_weight, loss) in remedies(x, y, args.seed).items():
        results, findings = [], []
        for seed in seeds:
            model, monitor = train(x_train, y_train, class_weight, loss, steps, seed, (x_val, y_val))
            findings += [finding for finding in monitor.findings if seed == seeds[0]]
            predicted = np.argmax(model.predict(x_test, verbose=0), axis=1)
            results.append((balanced_accuracy_score(y_test, predicted), f1_score(y_test, predicted, average="macro"),
                            recall_score(y_test, predicted, average=None, labels=range(10))))
        scores[name] = {
            "train_size": len(y_train),
            "balanced_accuracy": float(np.mean([r[0] for r in results])),
            "macro_f1": float(np.mean([r[1] for r in results])),
            "recall": np.mean([r[2] for r in results], axis=0).tolist(),
            "findings": findings,
        }

    figures = []
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.5), gridspec_kw={"width_ratios": [1, 1.6]})
    axes[0].bar(range(10), counts, color="gray")
    axes[0].set_yscale("log")
    axes[0].set_xticks(range(10))
    axes[0].set_xlabel("class")
    axes[0].set_ylabel("training examples (log)")
    axes[0].set_title(f"Long-tailed training split, {counts.max()}:{counts.min()}")
    width = 0.8 / len(scores)
    for index, (name, score) in enumerate(scores.items()):
        axes[1].bar(np.arange(10) + index * width, score["recall"], width,
                    label=f"{name} (bal. acc. {score['balanced_accuracy']:.2f})")
    axes[1].set_xticks(np.arange(10) + 0.4 - width / 2)
    axes[1].set_xticklabels(range(10))
    axes[1].set_xlabel("class (head to tail)")
    axes[1].set_ylabel("test recall")
    axes[1].set_title("Recall per class on the balanced test split")
    axes[1].legend(fontsize=7, loc="lower left")
    figures.append(_common.save_figure(fig, args.out, "class_imbalance.png"))

    rows = [{"remedy": name, "train_size": s["train_size"], "balanced_accuracy": s["balanced_accuracy"],
             "macro_f1": s["macro_f1"], "tail_recall (class 9)": s["recall"][9],
             "findings": ", ".join(sorted({f.kind for f in s["findings"]})) or "none"} for name, s in scores.items()]
    _common.print_table(f"Test scores, {steps} Adam steps each, mean of {len(seeds)} seed(s)", rows)
    for finding in scores["no remedy"]["findings"]:
        print(f"\nno remedy: {finding.kind}: {finding.message}\n  try: {finding.advice[0]}")
    print(f"\nPlots: {', '.join(figures)}")
    for score in scores.values():
        score["findings"] = [finding.kind for finding in score["findings"]]
    return {"scores": scores, "train_counts": counts.tolist(), "figures": figures}


if __name__ == "__main__":
    main()
