"""Held out (third split): a ten-class long tail where class 0 dominates.

The fault. A user's digit collection holds every 0 but only a few examples of each other digit:
classes 1-9 each keep 3% of class 0's count (4 images each against ~135 zeros in training).
A plain `fit` learns that "0" is almost always right: the training loss falls, but the model
recognizes few of the rare digits on a validation set where every class is equally common. The
run must show a rarest / commonest class ratio of 0.1 or less in training and a macro recall
(the mean of the per-class recalls, measured on the balanced validation set) below 0.5.

Expected: `class_imbalance` (the cause: nine of the ten classes are each ~3% of the commonest).
Acceptable: `overfitting` (the few rare images are memorized while the balanced validation loss
rises), `underfitting` (the rare classes are not learned at all; a model that predicts "0" sits
near the skewed label distribution's chance loss).

The healthy twin trains on the balanced training set (the fix: all the digits). It must train
well.
"""

import numpy as np
from keras import optimizers

from benchmarks.accuracy import data, measure, models
from benchmarks.accuracy.scenario import Run, scenario

RARE_SHARE = 0.03
EPOCHS = 15
POOR_MACRO_RECALL = 0.5
LONG_TAIL_SIDE_EFFECTS = ("overfitting", "underfitting")


def _long_tail(x, y, seed):
    """Keeps every 0 and `RARE_SHARE` of class 0's count of each other digit (at least 1)."""
    rng = np.random.default_rng(seed)
    per_class = max(1, int(round(RARE_SHARE * np.sum(y == 0))))
    keep = [np.flatnonzero(y == 0)]
    keep += [rng.choice(np.flatnonzero(y == c), per_class, replace=False) for c in range(1, 10)]
    keep = np.sort(np.concatenate(keep))
    return x[keep], y[keep]


def _run(x, y, val):
    return Run(models.dense_stack(64, [64], "relu"), optimizers.Adam(1e-3),
               "sparse_categorical_crossentropy", x, y, epochs=EPOCHS, validation_data=val)


def macro_recall(model, x, y):
    """Mean over classes of the share of each class's rows predicted as that class."""
    predicted = model.predict(x, verbose=0).argmax(-1)
    return float(np.mean([np.mean(predicted[y == c] == c) for c in np.unique(y)]))


def rare_classes_missed(trained):
    """Training class ratio, and the macro recall on the balanced validation set."""
    run = trained.run
    counts = np.bincount(np.asarray(run.y), minlength=10)
    ratio = counts.min() / counts.max()
    recall = macro_recall(run.model, *run.validation_data)
    holds = ratio <= 0.1 and recall < POOR_MACRO_RECALL
    return holds, f"rarest / commonest class {ratio:.3f}, validation macro recall {recall:.2f}"


@scenario("mlp", expected=("class_imbalance",), acceptable=LONG_TAIL_SIDE_EFFECTS, heldout=True,
          verify=rare_classes_missed)
def heldout3_digits_long_tail_class_zero(seed):
    (x, y), val = data.digits(seed)
    return _run(*_long_tail(x, y, seed), val)


@scenario("mlp", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout3_healthy_digits_balanced(seed):
    (x, y), val = data.digits(seed)
    return _run(x, y, val)
