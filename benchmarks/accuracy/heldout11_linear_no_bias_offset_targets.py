"""Held out (eleventh split): a linear regression without a bias on targets around 60.

The fault. A user predicts a daily temperature in degrees Fahrenheit (about 60, spread about
15) from 20 standardized features with one `Dense(1, use_bias=False)`, SGD(0.01), mean squared
error, 20 epochs; `use_bias=False` came from a layer of a model with batch normalization, where
it is right. With standardized features and no bias the prediction averages 0 over the data, so
the model cannot produce the targets' mean: the error of about 60 on every sample is out of its
reach, and the loss stays near 60^2 + its share of the spread, many times the variance of the
targets (the loss of predicting their mean). The run must show a final training loss above 5
times the targets' variance and a mean prediction more than 50 below the targets' mean.

Expected: `underfitting` (the loss stays far above what predicting the mean gives).
Acceptable:
- `plateau`: the loss is flat after the first epoch;
- `label_mismatch`: targets centred far from 0 beside a model that can only give 0 on average.

The healthy twin has a bias (the fix). It must train well.
"""

import keras
import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import heldout8_parts, measure
from benchmarks.accuracy.scenario import Run, scenario

MEAN, SPREAD = 60.0, 15.0
LOSS_OVER_VARIANCE = 5.0
MISSED_OFFSET = 50.0
NO_BIAS_SIDE_EFFECTS = ("plateau", "label_mismatch")


def _run(use_bias, seed):
    (x, y), (x_val, y_val) = heldout8_parts.standardized_regression(seed)
    model = keras.Sequential([keras.Input((x.shape[1],)), layers.Dense(1, use_bias=use_bias)])
    return Run(model, optimizers.SGD(0.01), "mse", x, MEAN + SPREAD * y, epochs=20,
               validation_data=(x_val, MEAN + SPREAD * y_val))


def misses_the_mean(trained):
    """The final training loss is above `LOSS_OVER_VARIANCE` times the targets' variance and the
    mean prediction is more than `MISSED_OFFSET` below the targets' mean."""
    run = trained.run
    ratio = trained.history["loss"][-1] / measure.chance_loss(run)
    gap = float(np.mean(run.y) - np.mean(np.asarray(run.model(run.x))))
    return ratio > LOSS_OVER_VARIANCE and gap > MISSED_OFFSET, \
        f"final loss / target variance {ratio:.1f}, mean prediction {gap:.1f} below the mean target"


@scenario("linear", expected=("underfitting",), acceptable=NO_BIAS_SIDE_EFFECTS, heldout=True,
          verify=misses_the_mean)
def heldout11_linear_regression_no_bias_targets_around_60(seed):
    return _run(False, seed)


@scenario("linear", heldout=True, verify=measure.trains_well())
def heldout11_healthy_linear_regression_with_bias_targets_around_60(seed):
    return _run(True, seed)
