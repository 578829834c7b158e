"""Held out (tenth split): a Poisson regression on counts with a linear output unit.

The fault. A user models daily event counts from five standardized features with a single
`Dense(1)` (no activation) and `loss="poisson"`, Adam(1e-2). Keras' Poisson loss is
`y_pred - y_true * log(y_pred + 1e-7)`: it needs a positive predicted rate, but a linear unit
starts around zero and predicts a negative rate for about half of the rows. The logarithm of a
negative number is NaN, so the first batch's loss is NaN, the gradients are NaN, and every
weight becomes NaN after the first update. The run must show negative initial predictions on
the training rows and a non-finite training loss in the first epoch.

Expected: `output_loss_mismatch` (an unbounded output under a loss that needs positive rates).
Acceptable:
- `non_finite`: the loss and the weights are NaN from the first step.

The healthy twin gives the unit `activation="exponential"` (the fix: a log link, so the rate
is always positive). It must end with a validation loss at least 10% below that of predicting
the training mean for every row.
"""

import keras
import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import data, measure
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 20
SAMPLES = 2000
FEATURES = 5
# The counts' log-rate: 0.7 + x . w with |w| = 0.6 (rates of about 0.5 to 6 events).
BASE_LOG_RATE = 0.7
WEIGHT_NORM = 0.6
BEATS_THE_MEAN = 0.9
LINEAR_RATE_SIDE_EFFECTS = ("non_finite",)


def event_counts(seed):
    """`(x, counts), (x_val, counts_val)`: standard normal features and Poisson counts (float32,
    shape `(n, 1)`) whose log-rate is linear in them."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(SAMPLES, FEATURES)).astype("float32")
    w = rng.normal(size=FEATURES)
    w *= WEIGHT_NORM / np.linalg.norm(w)
    counts = rng.poisson(np.exp(BASE_LOG_RATE + x @ w)).astype("float32")[:, None]
    return data.split(x, counts, seed)


def _run(activation, seed):
    (x, y), val = event_counts(seed)
    model = keras.Sequential([keras.Input((FEATURES,)), layers.Dense(1, activation=activation)])
    return Run(model, optimizers.Adam(1e-2), "poisson", x, y, epochs=EPOCHS, validation_data=val)


def negative_rates_break_the_loss(trained):
    """Some initial predictions on the training rows are negative, and the first epoch's
    training loss is not finite."""
    run = trained.run
    negative = measure.with_weights(run.model, trained.initial_weights,
                                    lambda: float(np.mean(np.asarray(run.model(run.x)) < 0)))
    first = trained.history["loss"][0]
    return negative > 0 and not np.isfinite(first), \
        f"share of negative initial rates {negative:.2f}; first epoch loss {first}"


def beats_the_mean(trained):
    """The final validation loss is below `BEATS_THE_MEAN` times the Poisson loss of predicting
    the training mean count for every validation row."""
    run = trained.run
    x_val, y_val = run.validation_data
    constant = np.full_like(y_val, float(np.mean(run.y)))
    baseline = float(np.mean(keras.losses.poisson(y_val, constant)))
    last = trained.history["val_loss"][-1]
    return np.isfinite(last) and last < BEATS_THE_MEAN * baseline, \
        f"final val loss {last:.3f}, mean-count baseline {baseline:.3f}"


@scenario("linear", expected=("output_loss_mismatch",), acceptable=LINEAR_RATE_SIDE_EFFECTS,
          heldout=True, verify=negative_rates_break_the_loss)
def heldout10_linear_poisson_loss_on_linear_output(seed):
    return _run(None, seed)


@scenario("linear", heldout=True, verify=beats_the_mean)
def heldout10_healthy_linear_poisson_loss_on_exponential_output(seed):
    return _run("exponential", seed)
