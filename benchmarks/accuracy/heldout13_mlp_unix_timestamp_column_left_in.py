"""Held out (thirteenth split): a raw Unix timestamp left among standardized features.

The fault. A user classifies customers (generated: `make_classification`, 10 features, 5
informative, two balanced classes) with an MLP (two `Dense(32, "relu")` layers, one sigmoid
output, binary cross-entropy, Adam(1e-3), 20 epochs). They standardize the ten feature columns
and then append the sign-up time as it came from the database, in seconds since 1970 (between
1.6e9 and 1.7e9, three years), meant as "how recent": it carries no label information, and its
values are a billion times the others'. At initialization each first-layer unit's input is
about its weight times 1.65e9, so the units are dead or enormous on every row alike; the first
steps shrink that one weight, and until it is within a billionth of zero the timestamp swamps
whatever the ten informative features add. The run must show the timestamp column's spread at
least a million times the largest spread of the other columns, and a validation accuracy
below 0.7 (chance is 0.5; the twin reaches 0.8 or more).

Expected: `unnormalized_input` (one input column sits on a scale a billion times the others').
Acceptable:
- `underfitting`: the model cannot fit the labels while the column swamps its inputs.
- `dead_relu`: first-layer units whose weight on the column is negative output 0 on every row.
- `plateau`: the loss can sit flat at chance while the column's weight creeps towards zero.

The healthy twin standardizes the timestamp like the other columns (the fix). It must reach
0.8 validation accuracy and generalize.
"""

import keras
import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import data, heldout9_parts, heldout11_parts, measure
from benchmarks.accuracy.scenario import Run, scenario

SWAMPED_ACCURACY = 0.7
TWIN_ACCURACY = 0.8
SCALE_GAP = 1e6


def _customers(seed, standardize_timestamp):
    (x, y), (x_val, y_val) = data.standardize(data.classification(
        seed, n_samples=2000, n_features=10, n_informative=5))
    rng = np.random.default_rng(seed + 1000)
    times = [rng.uniform(1.6e9, 1.7e9, (len(part), 1)) for part in (x, x_val)]
    if standardize_timestamp:
        mean, std = times[0].mean(), times[0].std()
        times = [(t - mean) / std for t in times]
    return ((np.concatenate([x, times[0]], 1).astype("float32"), y),
            (np.concatenate([x_val, times[1]], 1).astype("float32"), y_val))


def _run(standardize_timestamp, seed):
    (x, y), val = _customers(seed, standardize_timestamp)
    model = keras.Sequential([keras.Input((11,)), layers.Dense(32, activation="relu"),
                              layers.Dense(32, activation="relu"), layers.Dense(1, activation="sigmoid")])
    return Run(model, optimizers.Adam(1e-3), "binary_crossentropy", x, y, epochs=20,
               validation_data=val, metrics=("accuracy",))


def timestamp_swamps(trained):
    spreads = np.asarray(trained.run.x).std(0)
    gap = spreads[-1] / spreads[:-1].max()
    accuracy = heldout9_parts.validation_accuracy(trained)
    return gap >= SCALE_GAP and accuracy < SWAMPED_ACCURACY, \
        f"timestamp spread / largest other spread {gap:.1e}, validation accuracy {accuracy:.3f}"


@scenario("mlp", expected=("unnormalized_input",), acceptable=("underfitting", "dead_relu", "plateau"),
          heldout=True, verify=timestamp_swamps)
def heldout13_mlp_raw_unix_timestamp_column_beside_standardized_features(seed):
    return _run(False, seed)


@scenario("mlp", heldout=True, verify=heldout11_parts.accurate_and_generalizes(TWIN_ACCURACY))
def heldout13_healthy_mlp_standardized_timestamp_column_beside_standardized_features(seed):
    return _run(True, seed)
