"""Held out (second split): a house-price regression on raw prices, and SGD blows up.

The fault. A user predicts house prices (generated: eight standardized features; the price is
about 60,000 plus a smooth function of them, between ~20,000 and ~100,000) with a ReLU MLP, a
linear output, mean squared error and `SGD(0.01)`, and keeps the prices in dollars. At the first
step the error is ~60,000, the gradient of the loss is ~1e5 at the output, and one step of 0.01
moves the weights by hundreds; the hidden activations grow, the next error is larger, and the
gradients grow step after step: the loss climbs orders of magnitude above where it started (or
overflows to inf or NaN). The run must show prices of 10,000 or more and a first epoch's mean loss
100 or more times the loss at the initial weights, or a loss or weight that becomes non-finite.

Expected: `exploding_gradient` (the mechanism that breaks the run: gradients growing step after
step from the first one). Acceptable: `non_finite` (its consequence), `oscillation` (the
overshooting steps before the overflow), `label_mismatch` (targets on a scale of 1e4-1e5 names
the root cause in the data).

The healthy twin standardizes the prices with the training set's mean and standard deviation (the
fix). It must train well.
"""

import numpy as np
from keras import optimizers

from benchmarks.accuracy import measure, models
from benchmarks.accuracy.scenario import Run, scenario

FEATURES = 8
SAMPLES = 1000
VALIDATION = 300
BASE_PRICE = 60_000.0
PRICE_SPREAD = 15_000.0
NOISE_PRICE = 3_000.0
RAW_PRICE = 10_000.0  # "tens of thousands": the scale that makes the first MSE gradient ~1e5
BLOW_UP = 100.0  # the loss of a step that overshoots grows; a 100x rise is divergence, not noise
BLOW_UP_SIDE_EFFECTS = ("non_finite", "oscillation", "label_mismatch")


def house_prices(seed):
    """`(x, y), (x_val, y_val)`: standard-normal features and prices in dollars, shape `(n, 1)`."""
    rng = np.random.default_rng(seed)
    total = SAMPLES + VALIDATION
    x = rng.normal(size=(total, FEATURES)).astype("float32")
    weights = rng.normal(size=FEATURES) / np.sqrt(FEATURES)
    signal = x @ weights + 0.3 * np.tanh(x[:, 0] * x[:, 1])
    y = BASE_PRICE + PRICE_SPREAD * signal + NOISE_PRICE * rng.normal(size=total)
    y = y.astype("float32")[:, None]
    return (x[:SAMPLES], y[:SAMPLES]), (x[SAMPLES:], y[SAMPLES:])


def loss_blows_up(trained):
    """The first epoch's mean loss is `BLOW_UP` times the loss at the initial weights or more,
    or a loss or weight is non-finite."""
    run, model = trained.run, trained.run.model
    if measure.becomes_non_finite()(trained)[0]:
        return True, "non-finite loss or weights"
    x, y = measure.inputs_of(run.x), measure.inputs_of(run.y)
    initial = measure.with_weights(model, trained.initial_weights,
                                   lambda: float(measure.loss_function(run)(y, model(x))))
    rise = trained.history["loss"][0] / initial
    return rise >= BLOW_UP, f"first epoch's loss / initial loss {rise:.1e}"


def _regressor():
    return models.dense_stack(FEATURES, [32, 32], "relu", output_units=1, output_activation=None)


@scenario("mlp", expected=("exploding_gradient",), acceptable=BLOW_UP_SIDE_EFFECTS, heldout=True,
          verify=measure.all_of(
              measure.fact(lambda run: float(np.median(run.y)) >= RAW_PRICE, "prices in dollars"),
              loss_blows_up))
def heldout2_price_regression_on_dollar_targets_sgd(seed):
    (x, y), val = house_prices(seed)
    return Run(_regressor(), optimizers.SGD(0.01), "mse", x, y, epochs=8, validation_data=val)


@scenario("mlp", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout2_healthy_price_regression_on_standardized_targets(seed):
    (x, y), (x_val, y_val) = house_prices(seed)
    mean, std = y.mean(), y.std()
    return Run(_regressor(), optimizers.SGD(0.01), "mse", x, (y - mean) / std, epochs=8,
               validation_data=(x_val, (y_val - mean) / std))
