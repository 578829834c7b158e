"""Held out (third split): `validation_split=0.2` on digits sorted by label.

The fault. A user loads the 1,797 digits ordered by class (as many datasets ship, grouped by
label) and calls `fit(x, y, validation_split=0.2)` without shuffling first. Keras takes the
validation rows from the end of the arrays before any shuffling, so the validation set is the
last 20% of the sorted rows: almost only 8s and 9s, classes that never occur in training. The
model learns digits 0-7 well and gives the validation digits near-zero probability: the
validation loss ends far above chance whatever the training does. The harness passes
`validation_data`, so the run takes the split exactly as `validation_split=0.2` does (Keras'
rule: the first `floor(n * 0.8)` rows train, the rest validate; the training rows are then
shuffled each epoch by `fit`). The run must show validation labels that mostly (90% or more)
belong to classes absent from training, a training loss below half of chance, and a validation
loss above chance.

Expected: `label_mismatch` (the cause: the validation labels are classes the training labels
never contain). Acceptable: `overfitting` (the training loss falls while the validation loss
rises, the visible consequence), `class_imbalance` (two of the ten output classes have no
training sample at all).

The healthy twin shuffles the same arrays once before the split (the fix). It must train well
and generalize.
"""

import math

import numpy as np
from keras import optimizers

from benchmarks.accuracy import data, measure, models
from benchmarks.accuracy.scenario import Run, scenario

VALIDATION_SPLIT = 0.2
EPOCHS = 10
UNSEEN_SHARE = 0.9
SPLIT_SIDE_EFFECTS = ("overfitting", "class_imbalance")


def _split_like_keras(x, y):
    """What `fit(validation_split=VALIDATION_SPLIT)` does: the last rows validate, unshuffled."""
    split_at = int(math.floor(len(x) * (1.0 - VALIDATION_SPLIT)))
    return (x[:split_at], y[:split_at]), (x[split_at:], y[split_at:])


def _all_digits(seed):
    """All 1,797 digits in [0, 1], sorted by label (stable: the shipped order within a class)."""
    (x, y), (x_val, y_val) = data.digits(seed)
    x, y = np.concatenate([x, x_val]), np.concatenate([y, y_val])
    order = np.argsort(y, kind="stable")
    return x[order], y[order]


def _run(x, y):
    (x, y), val = _split_like_keras(x, y)
    return Run(models.dense_stack(64, [64, 64], "relu"), optimizers.Adam(1e-3),
               "sparse_categorical_crossentropy", x, y, epochs=EPOCHS, validation_data=val)


def validates_on_unseen_classes(trained):
    """Share of validation rows whose class has no training row; training and validation loss
    against chance."""
    run = trained.run
    y_val = np.asarray(run.validation_data[1])
    unseen = float(np.mean(~np.isin(y_val, np.unique(run.y))))
    chance = measure.chance_loss(run)
    train_share = trained.history["loss"][-1] / chance
    val_share = trained.history["val_loss"][-1] / chance
    holds = unseen >= UNSEEN_SHARE and train_share < measure.FAILING_LOSS_SHARE and val_share > 1.0
    return holds, (f"validation rows of unseen classes {unseen:.2f}, final loss / chance "
                   f"{train_share:.2f}, validation loss / chance {val_share:.2f}")


@scenario("mlp", expected=("label_mismatch",), acceptable=SPLIT_SIDE_EFFECTS, heldout=True,
          verify=validates_on_unseen_classes)
def heldout3_validation_split_on_sorted_digits(seed):
    return _run(*_all_digits(seed))


@scenario("mlp", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout3_healthy_validation_split_after_shuffle(seed):
    x, y = _all_digits(seed)
    order = np.random.default_rng(seed).permutation(len(x))
    return _run(x[order], y[order])
