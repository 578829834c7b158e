"""Held out: a regression whose output activation cannot reach its targets.

The fault. A user predicts a score in percent (generated: 0 to 100, a smooth function of eight
features) and, because "scores are bounded", ends the network with `Dense(1, activation="sigmoid")`
under mean squared error. A sigmoid lies in (0, 1): every target above 1 is out of reach, the
output saturates at 1, its gradient dies, and the loss stays above the targets' variance. The run
must show targets above 1 and a final training loss above half of the targets' variance.
Expected: `label_mismatch` (targets outside the output's range).

The healthy twin divides the targets by 100 (the fix: targets in the sigmoid's range). It must
train well.
"""

import numpy as np
from keras import optimizers

from benchmarks.accuracy import measure, models
from benchmarks.accuracy.scenario import Run, scenario

FEATURES = 8
SAMPLES = 1200
VALIDATION = 300
PERCENT = 100.0
STALL_SIDE_EFFECTS = ("underfitting", "plateau", "saturation", "vanishing_gradient")


def percent_scores(seed):
    """`(x, y), (x_val, y_val)`: standard-normal features and a score in [0, 100]."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(SAMPLES + VALIDATION, FEATURES)).astype("float32")
    weights = rng.normal(size=FEATURES) / np.sqrt(FEATURES)
    y = (PERCENT / (1 + np.exp(-2 * x @ weights))).astype("float32")[:, None]
    return (x[:SAMPLES], y[:SAMPLES]), (x[SAMPLES:], y[SAMPLES:])


def _regressor():
    return models.dense_stack(FEATURES, [32, 32], "relu", output_units=1, output_activation="sigmoid")


@scenario("mlp", expected=("label_mismatch",), acceptable=STALL_SIDE_EFFECTS, heldout=True,
          verify=measure.all_of(measure.fails_to_learn(), measure.fact(
              lambda run: float(np.max(run.y)) > 1.0, "targets up to 100 behind a sigmoid")))
def heldout_regression_sigmoid_output_on_percent_targets(seed):
    (x, y), val = percent_scores(seed)
    return Run(_regressor(), optimizers.Adam(1e-2), "mse", x, y, epochs=8, validation_data=val)


@scenario("mlp", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout_healthy_regression_sigmoid_output_on_fractions(seed):
    (x, y), (x_val, y_val) = percent_scores(seed)
    return Run(_regressor(), optimizers.Adam(1e-2), "mse", x, y / PERCENT, epochs=8,
               validation_data=(x_val, y_val / PERCENT))
