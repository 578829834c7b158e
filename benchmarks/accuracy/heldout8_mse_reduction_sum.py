"""Held out (eighth split): `MeanSquaredError(reduction="sum")` with SGD at batch size 256.

The fault. A user fits a regression MLP (two `Dense(64, "relu")` layers and one linear unit) on
`make_regression` data, x and y standardized, with
`keras.losses.MeanSquaredError(reduction="sum")` (copied from a loss written for per-sample
updates) and `SGD(learning_rate=0.01)` at `batch_size=256`. The summed loss is 256 times the
mean, so is its gradient: every step is the step of a learning rate of 2.56 on the mean loss,
far past what a standardized problem tolerates. The weights overshoot further at every step,
the loss and the gradients grow without bound and the run ends with an infinite or NaN loss.
The run must show a training loss that ends non-finite, or at least 10 times its first epoch's.

Expected: `exploding_gradient` (the 256x step makes the loss and its gradients grow without
bound).
Acceptable:
- `non_finite`: the divergence overflows to inf and NaN;
- `oscillation`: an overlarge step overshoots back and forth before it diverges;
- `suspicious_config`: the cause is a setup value, the loss's reduction.

The healthy twin uses the default reduction (`"sum_over_batch_size"`, the mean; the fix). It
must train well.
"""

import math

import keras
from keras import optimizers

from benchmarks.accuracy import heldout8_parts, measure, models
from benchmarks.accuracy.scenario import Run, scenario

BATCH_SIZE = 256
EPOCHS = 60
# A loss ten times its first epoch's has left the descent for good.
DIVERGED_GROWTH = 10
DIVERGING_SIDE_EFFECTS = ("non_finite", "oscillation", "suspicious_config")


def _run(loss, seed):
    (x, y), val = heldout8_parts.standardized_regression(seed)
    model = models.dense_stack(x.shape[1], [64, 64], "relu", output_units=1, output_activation=None)
    return Run(model, optimizers.SGD(learning_rate=0.01), loss, x, y, epochs=EPOCHS,
               batch_size=BATCH_SIZE, validation_data=val)


def diverges(trained):
    """The training loss ends non-finite, or at least `DIVERGED_GROWTH` times its first epoch's."""
    losses = trained.history["loss"]
    last = losses[-1]
    return (not math.isfinite(last)) or last >= DIVERGED_GROWTH * losses[0], \
        f"training loss {losses[0]:.3g} -> {last:.3g}"


@scenario("mlp", expected=("exploding_gradient",), acceptable=DIVERGING_SIDE_EFFECTS,
          heldout=True, verify=diverges)
def heldout8_mlp_regression_mse_reduction_sum(seed):
    return _run(keras.losses.MeanSquaredError(reduction="sum"), seed)


@scenario("mlp", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout8_healthy_mlp_regression_mse_mean(seed):
    return _run(keras.losses.MeanSquaredError(), seed)
