"""Held out (third split): a subclassed `keras.Model` of 8 sigmoid layers, stuck near chance.

The fault. A user writes the model as a `keras.Model` subclass: eight `Dense(64, "sigmoid")`
layers with Keras' default Glorot-uniform kernels, built in `__init__` and chained in `call`,
and trains it on the digits with plain SGD. The sigmoid's derivative is at most 1/4 and Glorot
keeps the kernels' gain near 1, so the gradient shrinks by about 4x at each of the eight layers
on its way down: the first layer gets ~1e-5 of the last layer's gradient and learns nothing,
and the loss stays near chance. The run must show, at the end, a first-layer kernel gradient
below `measure.VANISHED_RATIO` of the output layer's (measured with a `GradientTape` on the
model's own layers) and a training loss above `measure.FAILING_LOSS_SHARE` of chance.

Expected: `vanishing_gradient` (the cause: the gradient does not reach the first layers).
Acceptable: `plateau` and `underfitting` (the loss that stays near chance is what the vanished
gradient makes).

The healthy twin is the same subclass with ReLU and He-normal kernels (the fix). It must train
well.
"""

import keras
import tensorflow as tf
from keras import layers, optimizers

from benchmarks.accuracy import data, measure
from benchmarks.accuracy.scenario import Run, scenario

DEPTH = 8
WIDTH = 64
LEARNING_RATE = 0.03
EPOCHS = 10
STALL_SIDE_EFFECTS = ("plateau", "underfitting")


class DigitStack(keras.Model):
    """`DEPTH` Dense layers of `WIDTH` units and a softmax head, written as a subclass."""

    def __init__(self, activation, kernel_initializer, **kwargs):
        super().__init__(**kwargs)
        self.hidden = [layers.Dense(WIDTH, activation=activation,
                                    kernel_initializer=kernel_initializer)
                       for _ in range(DEPTH)]
        self.head = layers.Dense(10, activation="softmax")

    def call(self, inputs):
        tensor = inputs
        for layer in self.hidden:
            tensor = layer(tensor)
        return self.head(tensor)


def _model(activation, kernel_initializer):
    model = DigitStack(activation, kernel_initializer)
    model(tf.zeros((1, 64)))  # build the weights now: the harness keeps the initial weights
    return model


def first_layer_starves(trained):
    """First hidden kernel's gradient over the head's, at the end, and the loss against chance."""
    run = trained.run
    x, y = measure.inputs_of(run.x), measure.inputs_of(run.y)
    loss = measure.loss_function(run)
    kernels = [run.model.hidden[0].kernel, run.model.head.kernel]
    with tf.GradientTape() as tape:
        value = loss(y, run.model(x, training=True))
    first, last = (float(tf.norm(g)) for g in tape.gradient(value, kernels))
    ratio = first / max(last, 1e-30)
    share = trained.history["loss"][-1] / measure.chance_loss(run)
    holds = ratio < measure.VANISHED_RATIO and share > measure.FAILING_LOSS_SHARE
    return holds, f"first/head gradient norm {ratio:.1e}, final loss / chance {share:.2f}"


@scenario("mlp", expected=("vanishing_gradient",), acceptable=STALL_SIDE_EFFECTS, heldout=True,
          verify=first_layer_starves)
def heldout3_subclassed_sigmoid_stack(seed):
    (x, y), val = data.digits(seed)
    return Run(_model("sigmoid", "glorot_uniform"), optimizers.SGD(LEARNING_RATE),
               "sparse_categorical_crossentropy", x, y, epochs=EPOCHS, validation_data=val)


@scenario("mlp", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout3_healthy_subclassed_relu_stack(seed):
    (x, y), val = data.digits(seed)
    return Run(_model("relu", "he_normal"), optimizers.SGD(LEARNING_RATE),
               "sparse_categorical_crossentropy", x, y, epochs=EPOCHS, validation_data=val)
