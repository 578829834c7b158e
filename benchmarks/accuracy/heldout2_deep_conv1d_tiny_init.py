"""Held out (second split): twelve tanh Conv1D layers initialized at stddev 0.01.

The fault. A user stacks twelve `Conv1D(16, 3, padding="same", activation="tanh")` layers with
`kernel_initializer=RandomNormal(stddev=0.01)` over a sequence (the 8 rows of a digit image as 8
steps of 8 features), then global average pooling and a softmax head. Each layer multiplies its
input's scale by about 0.01 * sqrt(3 * 16) = 0.07 (tanh is linear there), so the signal that
reaches the head is ~1e-14 of the input, and the gradient that flows back is shrunk by the same
factor per layer: the first layer's kernel gets a gradient many orders of magnitude below the
head's, and below Adam's epsilon, so it cannot move. The model learns nothing but the head's
bias. The run must show, at the end, a gradient on the first layer's kernel below 1e-3 of the
gradient on the head's bias (the signal at the output, which no layer scales), and a training
loss above half of chance.

Expected: `vanishing_gradient`. Acceptable: `plateau` and `underfitting` (the loss that stays at
chance).

The healthy twin is the usual fix for a deep stack: `he_normal` kernels, ReLU, and
`BatchNormalization` after each convolution. It must train well.
"""

import keras
import tensorflow as tf
from keras import initializers, layers, optimizers

from benchmarks.accuracy import data, measure
from benchmarks.accuracy.scenario import Run, scenario

DEPTH = 12
FILTERS = 16
STEPS, FEATURES = 8, 8
STALL_SIDE_EFFECTS = ("plateau", "underfitting")


def _tiny_tanh_stack():
    convs = [layers.Conv1D(FILTERS, 3, padding="same", activation="tanh",
                           kernel_initializer=initializers.RandomNormal(stddev=0.01))
             for _ in range(DEPTH)]
    return keras.Sequential([keras.Input((STEPS, FEATURES)), *convs, layers.GlobalAveragePooling1D(),
                             layers.Dense(10, activation="softmax")])


def _normalized_relu_stack():
    blocks = []
    for _ in range(DEPTH):
        blocks += [layers.Conv1D(FILTERS, 3, padding="same", kernel_initializer="he_normal"),
                   layers.BatchNormalization(), layers.Activation("relu")]
    return keras.Sequential([keras.Input((STEPS, FEATURES)), *blocks, layers.GlobalAveragePooling1D(),
                             layers.Dense(10, activation="softmax")])


def first_kernel_to_output_bias_gradient(trained):
    """Gradient norm of the first layer's kernel over that of the last layer's bias, on the
    first `measure.MEASURE_SAMPLES` training rows at the final weights."""
    run, model = trained.run, trained.run.model
    x, y = measure.inputs_of(run.x), measure.inputs_of(run.y)
    first_kernel, last_bias = model.layers[0].kernel, model.layers[-1].bias
    with tf.GradientTape() as tape:
        value = measure.loss_function(run)(y, model(x, training=True))
    first, last = tape.gradient(value, [first_kernel, last_bias])
    return float(tf.norm(first)) / max(float(tf.norm(last)), 1e-30)


def gradients_vanish_below_the_head(ratio=measure.VANISHED_RATIO):
    failing = measure.fails_to_learn()

    def verify(trained):
        value = first_kernel_to_output_bias_gradient(trained)
        learns, note = failing(trained)
        return value < ratio and learns, f"first kernel / head bias gradient {value:.1e}; {note}"
    return verify


@scenario("cnn", expected=("vanishing_gradient",), acceptable=STALL_SIDE_EFFECTS, heldout=True,
          verify=gradients_vanish_below_the_head())
def heldout2_deep_tanh_conv1d_stddev_001(seed):
    (x, y), val = data.digit_rows(seed)
    return Run(_tiny_tanh_stack(), optimizers.Adam(2e-3), "sparse_categorical_crossentropy", x, y,
               epochs=6, validation_data=val)


@scenario("cnn", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout2_healthy_deep_relu_conv1d_he_batchnorm(seed):
    (x, y), val = data.digit_rows(seed)
    return Run(_normalized_relu_stack(), optimizers.Adam(2e-3), "sparse_categorical_crossentropy",
               x, y, epochs=6, validation_data=val)
