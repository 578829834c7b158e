"""Held out: a linear network of two layers started at all-zero weights.

The fault. A user writes a small linear model with a hidden layer (a factorized linear
regression: `Dense(8)` then `Dense(1)`, no activations) and, thinking zeros are a neutral
start, sets `kernel_initializer="zeros"` on both layers. At W1 = 0, W2 = 0 the gradient of each
kernel is the product of the other with the data, so both are exactly zero, and they stay zero:
only the output bias learns (the target's mean). This point is a saddle, not a minimum: the
Hessian couples W1 and W2 with the data's correlation with the target, which gives it a negative
eigenvalue, and any small random start would roll off it. The run must show every kernel gradient
exactly 0 at the end, a smallest Hessian eigenvalue below -0.1 of the largest at the start
(power iteration on Hessian-vector products), and a final loss above half of the target's
variance. Expected: `saddle_point` (a symmetric all-zero start on a saddle, to be broken by a
random initialization); not `zero_gradient` (the loss is connected to the weights).

The healthy twin is the same network with Keras' default (Glorot uniform) initialization. It must
train well.
"""

import keras
import numpy as np
import tensorflow as tf
from keras import layers, optimizers

from benchmarks.accuracy import measure
from benchmarks.accuracy.scenario import Run, scenario

FEATURES = 5
SAMPLES = 600
VALIDATION = 200
NOISE_STDDEV = 0.1
SADDLE_NEGATIVE_SHARE = 0.1


def linear_targets(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(SAMPLES + VALIDATION, FEATURES)).astype("float32")
    y = (x @ rng.normal(size=FEATURES) + NOISE_STDDEV * rng.normal(size=len(x))).astype("float32")[:, None]
    return (x[:SAMPLES], y[:SAMPLES]), (x[SAMPLES:], y[SAMPLES:])


def _factorized_linear(initializer):
    return keras.Sequential([keras.Input((FEATURES,)), layers.Dense(8, kernel_initializer=initializer),
                             layers.Dense(1, kernel_initializer=initializer)])


def stuck_on_a_saddle():
    """Every kernel's gradient is exactly zero at the end, the Hessian at the start has an
    eigenvalue below `-SADDLE_NEGATIVE_SHARE` of its largest, and the run fails to learn."""
    failing = measure.fails_to_learn()

    def verify(trained):
        run, model = trained.run, trained.run.model
        x, y = measure.inputs_of(run.x), measure.inputs_of(run.y)
        loss = measure.loss_function(run)
        kernels = [layer.kernel for layer in model.layers]
        with tf.GradientTape() as tape:
            value = loss(y, model(x, training=True))
        largest_gradient = max(float(tf.reduce_max(tf.abs(g))) for g in tape.gradient(value, kernels))
        largest, smallest = measure.with_weights(
            model, trained.initial_weights, lambda: measure.hessian_extremes(model, loss, x, y))
        stalled, note = failing(trained)
        return largest_gradient == 0.0 and smallest < -SADDLE_NEGATIVE_SHARE * abs(largest) and stalled, \
            f"largest kernel gradient {largest_gradient:.1e}, hessian [{smallest:.2f}, {largest:.2f}]; {note}"
    return verify


@scenario("linear", expected=("saddle_point",), acceptable=("underfitting",), heldout=True,
          verify=stuck_on_a_saddle())
def heldout_two_layer_linear_net_all_zero_init(seed):
    (x, y), val = linear_targets(seed)
    return Run(_factorized_linear("zeros"), optimizers.SGD(0.05), "mse", x, y, epochs=10,
               validation_data=val)


@scenario("linear", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout_healthy_two_layer_linear_net_glorot_init(seed):
    (x, y), val = linear_targets(seed)
    return Run(_factorized_linear("glorot_uniform"), optimizers.SGD(0.05), "mse", x, y, epochs=10,
               validation_data=val)
