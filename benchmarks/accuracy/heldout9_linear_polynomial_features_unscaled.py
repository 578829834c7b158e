"""Held out (ninth split): linear regression on raw polynomial features x, x^2, ..., x^5.

The fault. A user fits a cubic trend (generated: x uniform in [0, 10], y = (x - 5)^3 / 25 plus
noise of spread 0.5, about 1.9 in spread) with "polynomial regression": the features are x,
x^2, x^3, x^4 and x^5, computed from the raw x, and the model is one `Dense(1)` trained with mean
squared error and `SGD(learning_rate=0.01)`. The features span 0 to 1e5: the loss's curvature
along the x^5 weight is about 2e9, so plain gradient descent is stable only below a rate of
about 1e-9, and 0.01 is ten million times that: the first updates overshoot by orders of
magnitude, each one larger than the last; within the first epoch the weights, the predictions and the loss overflow to inf and NaN. The run must
show features above 1e4 and a loss or weight that becomes non-finite.

Expected: `unnormalized_input` (the root cause: features on scales up to 1e5).
Acceptable:
- `non_finite`: the loss and weights overflow;
- `exploding_gradient`: the updates grow step after step before they overflow;
- `oscillation`: the overshooting steps flip the loss up and down before the overflow.

The healthy twin standardizes each feature with the training mean and spread (the fix). It must
train well: its final loss below half of the targets' variance.
"""

import keras
import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import data, measure
from benchmarks.accuracy.scenario import Run, scenario

SAMPLES = 1000
DEGREE = 5
EPOCHS = 20
LARGE_FEATURE = 1e4
RAW_POLYNOMIAL_SIDE_EFFECTS = ("non_finite", "exploding_gradient", "oscillation")


def cubic_trend(seed):
    """`(x, y), (x_val, y_val)`: x uniform in [0, 10] as the columns x, x^2, ..., x^`DEGREE`,
    y = (x - 5)^3 / 25 plus normal noise of spread 0.5, shape `(n, 1)`."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 10, SAMPLES)
    y = (x - 5) ** 3 / 25 + rng.normal(0, 0.5, SAMPLES)
    features = np.stack([x ** power for power in range(1, DEGREE + 1)], axis=1)
    return data.split(features.astype("float32"), y[:, None].astype("float32"), seed)


def _run(standardize, seed):
    train_val = cubic_trend(seed)
    (x, y), val = data.standardize(train_val) if standardize else train_val
    model = keras.Sequential([keras.Input((DEGREE,)), layers.Dense(1)])
    return Run(model, optimizers.SGD(learning_rate=0.01), "mean_squared_error", x, y, epochs=EPOCHS,
               validation_data=val)


@scenario("linear", expected=("unnormalized_input",), acceptable=RAW_POLYNOMIAL_SIDE_EFFECTS,
          heldout=True,
          verify=measure.all_of(measure.fact(lambda run: np.max(run.x) > LARGE_FEATURE,
                                             "features above 1e4"),
                                measure.becomes_non_finite()))
def heldout9_linear_raw_polynomial_features_degree_5_sgd(seed):
    return _run(False, seed)


@scenario("linear", heldout=True, verify=measure.trains_well())
def heldout9_healthy_linear_standardized_polynomial_features_sgd(seed):
    return _run(True, seed)
