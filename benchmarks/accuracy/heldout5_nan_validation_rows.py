"""Held out (fifth split): NaN in five rows of the validation features only.

The fault. A user builds the validation set of a digits classifier (an MLP with two
`Dense(64, "tanh")` layers) by joining two sources; the join fails for five rows, which get NaN in the joined half of their features (the bottom 32
pixels). The training data is clean, so training itself goes well, but Keras averages the
validation loss over every row and one NaN row makes the mean NaN: `val_loss` is NaN at every
epoch, and everything that reads it (early stopping, checkpoints, a learning-rate schedule on a
plateau, the user's own eye) is blind. The run must show five validation rows with NaN, a NaN
validation loss at every epoch, and a training loss that ends well (below half of chance).

The hidden layers are tanh, not ReLU: a compiled ReLU passes NaN on or turns it into 0 depending
on the CPU's kernels (oneDNN's fused ReLU gives 0), which would hide the fault on some machines;
tanh passes NaN on everywhere.

Expected: `non_finite` (the cause as the run shows it: a loss that is not a number, here the
validation loss, from NaN in the data). Acceptable: none; the model and its training are healthy.

The healthy twin drops the five broken rows from the validation set (the fix). It must train
well.
"""

import math

import numpy as np
from keras import optimizers

from benchmarks.accuracy import data, measure, models
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 15
LEARNING_RATE = 1e-3
BROKEN_ROWS = 5
JOINED_FEATURES = slice(32, 64)


def _validation_with_broken_rows(seed):
    (x, y), (x_val, y_val) = data.digits(seed)
    broken = np.random.default_rng(seed).choice(len(x_val), BROKEN_ROWS, replace=False)
    x_val = x_val.copy()
    x_val[broken, JOINED_FEATURES] = np.nan
    return (x, y), (x_val, y_val), broken


def _run(drop_broken, seed):
    (x, y), (x_val, y_val), broken = _validation_with_broken_rows(seed)
    if drop_broken:
        keep = np.setdiff1d(np.arange(len(x_val)), broken)
        x_val, y_val = x_val[keep], y_val[keep]
    model = models.dense_stack(64, [64, 64], "tanh")
    return Run(model, optimizers.Adam(LEARNING_RATE), "sparse_categorical_crossentropy", x, y,
               epochs=EPOCHS, validation_data=(x_val, y_val))


def validation_loss_nan(trained):
    """Rows of the validation features with NaN, epochs whose validation loss is NaN, and the
    training loss against chance."""
    run = trained.run
    rows = int(np.sum(np.any(np.isnan(run.validation_data[0]), axis=1)))
    nan_epochs = sum(math.isnan(v) for v in trained.history["val_loss"])
    trains, note = measure.trains_well()(trained)
    holds = rows == BROKEN_ROWS and nan_epochs == run.epochs and trains
    return holds, f"NaN validation rows {rows}, NaN val_loss in {nan_epochs}/{run.epochs} epochs; {note}"


@scenario("mlp", expected=("non_finite",), heldout=True, verify=validation_loss_nan)
def heldout5_mlp_nan_in_five_validation_rows(seed):
    return _run(False, seed)


@scenario("mlp", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout5_healthy_mlp_broken_validation_rows_dropped(seed):
    return _run(True, seed)
