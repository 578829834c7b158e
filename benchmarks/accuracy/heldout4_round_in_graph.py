"""Held out (fourth split): a non-differentiable "quantize" step inside the model.

The fault. A user quantizes a hidden representation with
`keras.layers.Lambda(lambda t: keras.ops.round(t))` between two hidden `Dense` layers of a
functional digits MLP. `round` is flat almost everywhere: its gradient is exactly zero, so the
two Dense layers below the Lambda never receive a gradient and keep their random initial
weights for the whole run; only the layers above it learn, on rounded random features. The run
must show, at the end, an exactly-zero kernel gradient for every layer below the Lambda
(measured with a `tf.GradientTape` on training rows), those kernels equal to their initial
values, and a non-zero gradient on the output layer.

Expected: `zero_gradient` (the cause: part of the model is cut off from the loss by an op
without a gradient). Acceptable: `vanishing_gradient` (the lower layers' gradient is zero against
a learning output layer: the same fact, read as a ratio), `plateau` and `underfitting` (the
learning that the frozen lower half costs).

The healthy twin has no Lambda (the fix). It must train well.
"""

import keras
import numpy as np
import tensorflow as tf
from keras import layers, optimizers

from benchmarks.accuracy import data, measure
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 8
LEARNING_RATE = 1e-3
BELOW = ("below_1", "below_2")
CUT_OFF_SIDE_EFFECTS = ("vanishing_gradient", "plateau", "underfitting")


def _run(quantize, seed):
    (x, y), val = data.digits(seed)
    inputs = keras.Input((64,))
    tensor = layers.Dense(64, activation="relu", name=BELOW[0])(inputs)
    tensor = layers.Dense(64, activation="relu", name=BELOW[1])(tensor)
    if quantize:
        tensor = layers.Lambda(lambda t: keras.ops.round(t), name="quantize")(tensor)
    tensor = layers.Dense(64, activation="relu", name="above")(tensor)
    outputs = layers.Dense(10, activation="softmax", name="output")(tensor)
    model = keras.Model(inputs, outputs)
    return Run(model, optimizers.Adam(LEARNING_RATE), "sparse_categorical_crossentropy", x, y,
               epochs=EPOCHS, validation_data=val)


def lower_layers_cut_off(trained):
    """Kernel gradients below the Lambda (exactly zero?), whether those kernels moved, and the
    output layer's gradient norm."""
    run, model = trained.run, trained.run.model
    x, y = measure.inputs_of(run.x), measure.inputs_of(run.y)
    loss = measure.loss_function(run)
    kernels = [model.get_layer(name).kernel for name in (*BELOW, "output")]
    with tf.GradientTape() as tape:
        value = loss(y, model(x, training=True))
    gradients = tape.gradient(value, kernels)
    below_zero = all(g is None or not np.any(np.asarray(g)) for g in gradients[:-1])
    initial = dict(zip([w.path for w in model.weights], trained.initial_weights))
    unmoved = all(np.array_equal(initial[k.path], np.asarray(k)) for k in kernels[:-1])
    top = float(tf.norm(gradients[-1]))
    holds = below_zero and unmoved and top > 0
    return holds, (f"gradient below the Lambda exactly zero {below_zero}, lower kernels unmoved "
                   f"{unmoved}, output kernel gradient {top:.1e}")


@scenario("mlp", expected=("zero_gradient",), acceptable=CUT_OFF_SIDE_EFFECTS, heldout=True,
          verify=lower_layers_cut_off)
def heldout4_mlp_round_lambda_between_dense(seed):
    return _run(True, seed)


@scenario("mlp", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout4_healthy_mlp_without_round(seed):
    return _run(False, seed)
