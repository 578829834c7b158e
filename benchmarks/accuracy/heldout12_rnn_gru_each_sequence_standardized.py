"""Held out (twelfth split): each sequence standardized by its own mean and spread.

The fault. A user classifies a machine's state (idle, normal, overloaded) from 30 readings of a
load sensor with a `GRU(16)` and a softmax head, Adam(3e-3), 10 epochs. The states differ in the
level the readings sit at (about -1, 0 and +1 on the sensor's standardized scale, readings noisy
by 1 around it). To standardize, the user writes `(x - x.mean(axis=1, keepdims=True)) /
x.std(axis=1, keepdims=True)`: the statistics of each sequence over its own time steps instead
of those of the training set over every sequence and step. Every sequence then has mean 0 and
spread 1, and the level, the only thing that tells the states apart, is subtracted away; what
remains is noise that looks the same in every class. The model stays at chance on sequences
it was not trained on. The run must show model inputs whose per-sequence means are all 0 (to
1e-4) and a validation accuracy below 0.5 (chance is 1/3; the twin reaches above 0.9).

Expected: `underfitting` (the model cannot fit its training labels).
Acceptable:
- `plateau`: the loss stays at log(3) from the first epoch.

The healthy twin standardizes with the mean and spread of the training set (the fix). It must
reach 0.9 validation accuracy and generalize.
"""

import keras
import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import data, heldout11_parts, measure
from benchmarks.accuracy.scenario import Run, scenario

STEPS = 30
STATES = 3
LEVEL = 1.0
SAMPLES = 1200
POOR_ACCURACY = 0.5
ZERO_MEAN = 1e-4
LEVEL_ERASED_SIDE_EFFECTS = ("plateau",)


def load_readings(seed):
    """`(x, y), (x_val, y_val)`: `STEPS` noisy readings (standard normal around the state's
    level: `LEVEL` times -1, 0 or +1), on a raw sensor scale (times 40, plus 500), x float32 of
    shape `(n, STEPS, 1)`, y int64 states."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, STATES, SAMPLES)
    x = (y[:, None] - 1) * LEVEL + rng.normal(size=(SAMPLES, STEPS))
    x = (500.0 + 40.0 * x).astype("float32")[..., None]
    return data.split(x, y.astype("int64"), seed)


def _run(per_sequence, seed):
    (x, y), (x_val, y_val) = load_readings(seed)
    if per_sequence:
        x, x_val = ((part - part.mean(axis=1, keepdims=True)) / part.std(axis=1, keepdims=True)
                    for part in (x, x_val))
    else:
        mean, std = x.mean(), x.std()
        x, x_val = (x - mean) / std, (x_val - mean) / std
    model = keras.Sequential([keras.Input((STEPS, 1)), layers.GRU(16),
                              layers.Dense(STATES, activation="softmax")])
    return Run(model, optimizers.Adam(3e-3), "sparse_categorical_crossentropy", x, y, epochs=10,
               validation_data=(x_val, y_val), metrics=("accuracy",))


def levels_erased(trained):
    """Every training and validation sequence the model sees has a mean within `ZERO_MEAN` of 0
    (the level that carries the state is gone)."""
    run = trained.run
    largest = max(float(np.max(np.abs(part.mean(axis=(1, 2))))) for part in (run.x, run.validation_data[0]))
    return largest < ZERO_MEAN, f"largest per-sequence mean {largest:.1e}"


@scenario("rnn", expected=("underfitting",), acceptable=LEVEL_ERASED_SIDE_EFFECTS, heldout=True,
          verify=measure.all_of(levels_erased, heldout11_parts.less_accurate_than(POOR_ACCURACY)))
def heldout12_rnn_gru_each_sequence_standardized(seed):
    return _run(True, seed)


@scenario("rnn", heldout=True, verify=heldout11_parts.accurate_and_generalizes())
def heldout12_healthy_rnn_gru_standardized_with_training_statistics(seed):
    return _run(False, seed)
