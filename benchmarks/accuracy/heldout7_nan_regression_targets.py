"""Held out (seventh split): regression targets with NaN for 2% of the rows.

The fault. A user loads a regression table whose target column has missing values (2% of the
rows, read as NaN) and never drops them. The features are standardized `make_regression`
columns and the targets standardized, so everything else is healthy. The first batch that
holds a NaN target gives a NaN mean squared error; its gradient is NaN, and Adam writes NaN
into every weight. With 32-row batches, about half the batches of the first epoch hold one.
The run must show NaN targets in the training data and a non-finite training loss or weight.

Expected: `non_finite` (the loss and then the weights become NaN).
Acceptable:
- `label_mismatch`: the targets hold values (NaN) that no output can fit.

The healthy twin drops the rows whose target is NaN (the fix). It must train well.
"""

import keras
import numpy as np
from keras import layers, optimizers
from sklearn import datasets

from benchmarks.accuracy import measure
from benchmarks.accuracy.data import split
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 10
LEARNING_RATE = 1e-3
MISSING_SHARE = 0.02
FEATURES = 10
NAN_TARGET_SIDE_EFFECTS = ("label_mismatch",)


def targets_with_gaps(seed):
    """Standardized `make_regression` data, 2% of the targets replaced by NaN."""
    x, y = datasets.make_regression(n_samples=1200, n_features=FEATURES, n_informative=8,
                                    noise=10.0, random_state=seed)
    x = (x - x.mean(0)) / x.std(0)
    y = (y - y.mean()) / y.std()
    missing = np.random.default_rng(seed).random(len(y)) < MISSING_SHARE
    y[missing] = np.nan
    return split(x.astype("float32"), y.astype("float32"), seed)


def _run(drop_missing, seed):
    (x, y), (x_val, y_val) = targets_with_gaps(seed)
    if drop_missing:
        x, y = x[~np.isnan(y)], y[~np.isnan(y)]
        x_val, y_val = x_val[~np.isnan(y_val)], y_val[~np.isnan(y_val)]
    model = keras.Sequential([keras.Input((FEATURES,)), layers.Dense(64, activation="relu"),
                              layers.Dense(64, activation="relu"), layers.Dense(1)])
    return Run(model, optimizers.Adam(LEARNING_RATE), "mse", x, y, epochs=EPOCHS,
               validation_data=(x_val, y_val))


@scenario("mlp", expected=("non_finite",), acceptable=NAN_TARGET_SIDE_EFFECTS, heldout=True,
          verify=measure.all_of(measure.fact(lambda run: bool(np.isnan(run.y).any()),
                                             "NaN targets in the training data"),
                                measure.becomes_non_finite()))
def heldout7_mlp_regression_two_percent_nan_targets(seed):
    return _run(False, seed)


@scenario("mlp", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout7_healthy_mlp_regression_nan_target_rows_dropped(seed):
    return _run(True, seed)
