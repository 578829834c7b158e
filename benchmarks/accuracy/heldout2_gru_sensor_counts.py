"""Held out (second split): a GRU fed raw sensor counts in the hundreds.

The fault. A user classifies 20-step windows of four sensor counters (generated: Poisson counts
around 300 per step; in class k sensor k counts 5% more, sensor 3 is a distractor) with a GRU
and a softmax head, and feeds the counts as they come, unscaled. With Glorot kernels over four
inputs of ~300, every gate's and candidate's pre-activation is in the tens to hundreds: the
sigmoid gates sit at 0 or 1, the candidate tanh at +-1, and the sign of each pre-activation is
set by the common level of ~300, not by the 5% difference between sensors. The GRU's state is
the same pattern of +-1 for every class and its derivative is near zero, so the run cannot learn.
The run must show inputs whose median magnitude is 100 or more, half or more of the GRU's
input pre-activations (gates and candidate, x_t W + b, at the final weights) beyond +-5, where
the sigmoid's slope is below 0.007 and tanh's below 2e-4, and a training loss above half of
chance.

Expected: `unnormalized_input` (the cause: input scale). Acceptable: `saturation` and
`vanishing_gradient` (the tanh/sigmoid units pinned at their bounds pass no gradient),
`underfitting` and `plateau` (the loss that stays at chance).

The healthy twin standardizes each sensor with the training set's mean and standard deviation
(the fix). It must train well.
"""

import keras
import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import measure
from benchmarks.accuracy.scenario import Run, scenario

SENSORS = 4
CLASSES = 3
TIMESTEPS = 20
SAMPLES = 900
VALIDATION = 300
BASE_COUNT = 300.0
RAISED_SHARE = 0.05
RAW_MAGNITUDE = 100.0  # counts this large drive every Glorot gate of the GRU to its bounds
SATURATING_PRE_ACTIVATION = 5.0
SATURATED_SHARE = 0.5
SATURATION_SIDE_EFFECTS = ("saturation", "vanishing_gradient", "underfitting", "plateau")


def sensor_counts(seed):
    """`(x, y), (x_val, y_val)`: Poisson counts `(n, TIMESTEPS, SENSORS)` as float32; in class k
    sensor k's rate is raised by `RAISED_SHARE`."""
    rng = np.random.default_rng(seed)
    total = SAMPLES + VALIDATION
    y = rng.integers(0, CLASSES, size=total)
    rates = np.full((total, 1, SENSORS), BASE_COUNT)
    rates[np.arange(total), 0, y] *= 1 + RAISED_SHARE
    x = rng.poisson(np.broadcast_to(rates, (total, TIMESTEPS, SENSORS))).astype("float32")
    return (x[:SAMPLES], y[:SAMPLES]), (x[SAMPLES:], y[SAMPLES:])


def standardize(train, validation):
    """Each sensor scaled by the training set's mean and standard deviation."""
    (x, y), (x_val, y_val) = train, validation
    mean, std = x.mean(axis=(0, 1)), x.std(axis=(0, 1))
    return ((x - mean) / std, y), ((x_val - mean) / std, y_val)


def gates_saturated(trained):
    """Share of the GRU's input pre-activations `x_t W + b` (all gates, all steps, the first
    `measure.MEASURE_SAMPLES` rows) beyond `SATURATING_PRE_ACTIVATION`, at the final weights."""
    run = trained.run
    gru = run.model.layers[0]
    kernel, bias = np.asarray(gru.cell.kernel), np.asarray(gru.cell.bias)
    bias = bias[0] if bias.ndim == 2 else bias  # reset_after=True keeps an input and a recurrent bias
    pre_activations = measure.inputs_of(run.x) @ kernel + bias
    return float(np.mean(np.abs(pre_activations) >= SATURATING_PRE_ACTIVATION))


def gates_saturate_and_nothing_learns(trained):
    share = gates_saturated(trained)
    learns, note = measure.fails_to_learn()(trained)
    return share >= SATURATED_SHARE and learns, f"saturated gate inputs {share:.2f}; {note}"


def _gru_classifier():
    return keras.Sequential([keras.Input((TIMESTEPS, SENSORS)), layers.GRU(32),
                             layers.Dense(CLASSES, activation="softmax")])


@scenario("rnn", expected=("unnormalized_input",), acceptable=SATURATION_SIDE_EFFECTS, heldout=True,
          verify=measure.all_of(
              measure.fact(lambda run: float(np.median(np.abs(run.x))) >= RAW_MAGNITUDE,
                           "raw counts around 300"),
              gates_saturate_and_nothing_learns))
def heldout2_gru_on_raw_sensor_counts(seed):
    train, val = sensor_counts(seed)
    x, y = train
    return Run(_gru_classifier(), optimizers.Adam(1e-3), "sparse_categorical_crossentropy", x, y,
               epochs=6, validation_data=val)


@scenario("rnn", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout2_healthy_gru_on_standardized_sensor_counts(seed):
    (x, y), val = standardize(*sensor_counts(seed))
    return Run(_gru_classifier(), optimizers.Adam(1e-3), "sparse_categorical_crossentropy", x, y,
               epochs=6, validation_data=val)
