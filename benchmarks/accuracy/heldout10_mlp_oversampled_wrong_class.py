"""Held out (tenth split): oversampling that repeats the majority class instead of the rare one.

The fault. A user has a tabular binary task (10 standardized features) with 10% positives and
"fixes" the imbalance before training a small MLP (`Dense(16, "relu")`, `Dense(1, "sigmoid")`,
binary cross-entropy, Adam(1e-3)): they append eight extra copies of one class's rows,
`x[y == 0]`, where they meant `x[y == 1]`. The negatives now outnumber the positives by about
80 to 1 instead of 9 to 1, the cheapest model says "negative" almost always, and the positives
of the (untouched) validation set are mostly missed. The run must show the training positives
at most 1/50 of the negatives and a validation recall of the positives below 0.3 (the twin
reaches above 0.6).

Expected: `class_imbalance` (one class dominates the training labels and the model ignores the
other).
Acceptable:
- `underfitting`: the rare class is not fitted;
- `plateau`: the loss settles in the first epochs near the prior's.

The healthy twin repeats the positives, `x[y == 1]` (the fix), so the classes are about even.
It must recall at least 0.6 of the validation positives.
"""

import numpy as np
from keras import optimizers

from benchmarks.accuracy import data, measure, models
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 10
SAMPLES = 3000
EXTRA_COPIES = 8
SKEWED = 1 / 50
MISSED_RECALL = 0.3
FOUND_RECALL = 0.6
WRONG_OVERSAMPLING_SIDE_EFFECTS = ("underfitting", "plateau")


def rare_positives(seed):
    """`make_classification` with 10% positives (10 features, 4 informative), standardized on
    the training part: `(x, y), (x_val, y_val)`, y float32 of shape `(n, 1)`."""
    (x, y), (x_val, y_val) = data.standardize(data.classification(seed, n_samples=SAMPLES, n_features=10,
                                                                  n_informative=4, weights=[0.9], class_sep=0.6))
    return (x, y.astype("float32")[:, None]), (x_val, y_val.astype("float32")[:, None])


def _run(repeated_class, seed):
    (x, y), val = rare_positives(seed)
    chosen = y[:, 0] == repeated_class
    x = np.concatenate([x] + [x[chosen]] * EXTRA_COPIES)
    y = np.concatenate([y] + [y[chosen]] * EXTRA_COPIES)
    order = np.random.default_rng(seed).permutation(len(y))
    return Run(models.dense_stack(10, [16], "relu", output_units=1, output_activation="sigmoid"),
               optimizers.Adam(1e-3), "binary_crossentropy", x[order], y[order], epochs=EPOCHS,
               validation_data=val, metrics=("accuracy",))


def positive_recall(trained):
    x_val, y_val = trained.run.validation_data
    predicted = np.asarray(trained.run.model(x_val))[:, 0] > 0.5
    positive = y_val[:, 0] > 0.5
    return float(np.mean(predicted[positive]))


def positives_drowned(trained):
    """The training positives are at most `SKEWED` of the negatives, and the validation recall
    of the positives is below `MISSED_RECALL`."""
    skewed, note = measure.labels_skewed(SKEWED)(trained)
    recall = positive_recall(trained)
    return skewed and recall < MISSED_RECALL, f"{note}; validation recall of positives {recall:.2f}"


def positives_found(trained):
    """The validation recall of the positives is at least `FOUND_RECALL`."""
    recall = positive_recall(trained)
    return recall >= FOUND_RECALL, f"validation recall of positives {recall:.2f}"


@scenario("mlp", expected=("class_imbalance",), acceptable=WRONG_OVERSAMPLING_SIDE_EFFECTS, heldout=True,
          verify=positives_drowned)
def heldout10_mlp_oversampling_repeats_the_majority_class(seed):
    return _run(0, seed)


@scenario("mlp", heldout=True, verify=positives_found)
def heldout10_healthy_mlp_oversampling_repeats_the_rare_class(seed):
    return _run(1, seed)
