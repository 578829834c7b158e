"""Held out (second split): L2 of 1.0 on every Dense kernel, and the penalty wins.

The fault. A user adds `kernel_regularizer=l2(1.0)` to every Dense layer of a ReLU MLP on the
digits (a factor meant to be ~1e-4). The penalty, 1.0 times the sum of squared weights, is ~150
at Glorot initialization against a data loss of ~2.3, and its gradient pulls every weight
to zero faster than the data can push it out: the kernels shrink until the network outputs
nearly the same probabilities for every image. The model learns almost nothing. The run must
show, at the end, a data loss (cross-entropy alone, without the penalty) above half of chance,
computed with plain Keras on the training rows.

Expected: `underfitting` (a model that cannot fit its training data; too much regularization
is its textbook cause). Acceptable: `suspicious_config` (the regularization factor itself),
`plateau` (the loss that stops at the penalty's balance), `vanishing_gradient` and `dead_relu`
(kernels shrunk toward zero pass little signal either way).

The healthy twin uses `l2(1e-4)` (the fix). It must train well.
"""

import keras
import numpy as np
from keras import optimizers, regularizers

from benchmarks.accuracy import data, measure, models
from benchmarks.accuracy.scenario import Run, scenario

HEAVY_L2 = 1.0
LIGHT_L2 = 1e-4
PENALTY_SIDE_EFFECTS = ("suspicious_config", "plateau", "vanishing_gradient", "dead_relu")


def _mlp(factor):
    return models.dense_stack(64, [64, 64], "relu", kernel_regularizer=regularizers.l2(factor))


def data_loss_share_of_chance(trained):
    """Cross-entropy of the final model on the first `measure.MEASURE_SAMPLES` training rows,
    without the penalty, over the chance loss."""
    run = trained.run
    x, y = measure.inputs_of(run.x), measure.inputs_of(run.y)
    probabilities = run.model.predict(x, verbose=0)
    value = float(np.mean(keras.losses.sparse_categorical_crossentropy(y, probabilities)))
    return value / measure.chance_loss(run)


def learns_almost_nothing(trained):
    ratio = data_loss_share_of_chance(trained)
    return ratio > measure.FAILING_LOSS_SHARE, f"final data loss / chance {ratio:.2f}"


def learns_well(trained):
    ratio = data_loss_share_of_chance(trained)
    return ratio < measure.FAILING_LOSS_SHARE, f"final data loss / chance {ratio:.2f}"


@scenario("mlp", expected=("underfitting",), acceptable=PENALTY_SIDE_EFFECTS, heldout=True,
          verify=learns_almost_nothing)
def heldout2_mlp_l2_1_on_every_kernel(seed):
    (x, y), val = data.digits(seed)
    return Run(_mlp(HEAVY_L2), optimizers.Adam(1e-3), "sparse_categorical_crossentropy", x, y,
               epochs=8, validation_data=val)


@scenario("mlp", heldout=True, verify=measure.all_of(learns_well, measure.generalizes()))
def heldout2_healthy_mlp_l2_1e4_on_every_kernel(seed):
    (x, y), val = data.digits(seed)
    return Run(_mlp(LIGHT_L2), optimizers.Adam(1e-3), "sparse_categorical_crossentropy", x, y,
               epochs=8, validation_data=val)
