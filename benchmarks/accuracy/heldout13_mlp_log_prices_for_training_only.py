"""Held out (thirteenth split): prices log-transformed for training but not for validation.

The fault. A user predicts house prices (generated: 20 standardized features, prices in
thousands between about 30 and 1,500, skewed like real prices) with an MLP (two `Dense(64,
"relu")` layers and `Dense(1)`, mean squared error, Adam(1e-3), 30 epochs). Following a
tutorial they train on `np.log(price)`, but the validation targets come from another cell that
was not rerun: `validation_data=(x_val, price_val)` in thousands. The model learns the log
prices well (values around 5.3), and is scored against raw prices around 200: the validation
loss sits about a million times above the training loss from the first epoch to the last,
although the model's predictions, mapped back with `exp`, track the validation prices. The run
must show a final validation loss more than 1,000 times the final training loss, and the
model's validation predictions explaining at least 0.4 of the variance of the log of the
validation prices (R^2 in log space): the model is right, the targets it is scored on are not.

Expected: `label_mismatch` (the validation targets are on another scale than the training
targets the model was fitted to).
Acceptable:
- `overfitting`: the validation loss stays far above the training loss, which is the gap
  overfitting leaves in the curves.

The healthy twin takes the log of the validation prices as well (the fix). It must bring its training
loss below half of the variance of the log prices and generalize.
"""

import keras
import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import heldout13_parts, measure
from benchmarks.accuracy.scenario import Run, scenario

GAP = 1000.0
LOG_R_SQUARED = 0.4


def _run(log_validation, seed):
    (x, price), (x_val, price_val) = heldout13_parts.prices(seed)
    y_val = np.log(price_val) if log_validation else price_val
    model = keras.Sequential([keras.Input((20,)), layers.Dense(64, activation="relu"),
                              layers.Dense(64, activation="relu"), layers.Dense(1)])
    return Run(model, optimizers.Adam(1e-3), "mean_squared_error", x, np.log(price), epochs=30,
               validation_data=(x_val, y_val))


def validation_far_above_training(trained):
    train, val = measure.final_losses(trained)
    ratio = val / max(train, 1e-12)
    return ratio > GAP, f"final val loss / train loss {ratio:.0f}"


def fits_log_prices(trained):
    """The model's predictions on the validation rows are log prices: R^2 against the log of
    the validation targets at least `LOG_R_SQUARED`."""
    x_val, price_val = trained.run.validation_data
    predicted = np.asarray(trained.run.model(x_val, training=False))
    value = heldout13_parts.r_squared(np.log(price_val), predicted)
    return value >= LOG_R_SQUARED, f"R^2 of predictions against log validation prices {value:.3f}"


@scenario("mlp", expected=("label_mismatch",), acceptable=("overfitting",), heldout=True,
          verify=measure.all_of(validation_far_above_training, fits_log_prices))
def heldout13_mlp_log_prices_for_training_raw_prices_for_validation(seed):
    return _run(False, seed)


@scenario("mlp", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout13_healthy_mlp_log_prices_for_training_and_validation(seed):
    return _run(True, seed)
