"""Held out (second split): a residual CNN whose ReLU convolutions start with a bias of -3.

The fault. A user builds a small residual CNN on the digit images (functional API: a linear
Conv2D stem, two blocks of `Conv2D(relu) -> Conv2D` added back to their input with `Add` and
followed by a ReLU, global average pooling, a softmax head) and, to "make the activations
sparse", gives every `Conv2D(..., activation="relu")` `bias_initializer=Constant(-3.0)`. The
pixels are in [0, 1] and the Glorot kernels give pre-activations of a few tenths: -3 puts them
all far below zero, so those units output 0 on every image, their gradient is exactly zero, and
they never recover. Only the skip path and the stem train. The run must show, at the end, half or
more of the units of some ReLU layer at 0 on every measured image.

Expected: `dead_relu`. Acceptable: `zero_gradient` and `vanishing_gradient` (a layer whose units
are all dead receives no gradient: the same fact seen from its weights), `underfitting` and
`plateau` (a network that learns through its skips alone may fit less).

The healthy twin keeps the default zero biases (the fix). It must train well.
"""

import keras
from keras import initializers, layers, optimizers

from benchmarks.accuracy import data, measure
from benchmarks.accuracy.scenario import Run, scenario

FILTERS = 16
BLOCKS = 2
DEAD_BIAS = -3.0
DEAD_SIDE_EFFECTS = ("zero_gradient", "vanishing_gradient", "underfitting", "plateau")


def _residual_cnn(relu_bias):
    inputs = keras.Input((8, 8, 1))
    tensor = layers.Conv2D(FILTERS, 3, padding="same")(inputs)
    for _ in range(BLOCKS):
        branch = layers.Conv2D(FILTERS, 3, padding="same", activation="relu",
                               bias_initializer=relu_bias)(tensor)
        branch = layers.Conv2D(FILTERS, 3, padding="same")(branch)
        tensor = layers.Activation("relu")(layers.Add()([tensor, branch]))
    tensor = layers.GlobalAveragePooling2D()(tensor)
    return keras.Model(inputs, layers.Dense(10, activation="softmax")(tensor))


@scenario("cnn", expected=("dead_relu",), acceptable=DEAD_SIDE_EFFECTS, heldout=True,
          verify=measure.units_dead())
def heldout2_residual_cnn_relu_bias_minus_3(seed):
    (x, y), val = data.digits(seed, image=True)
    model = _residual_cnn(initializers.Constant(DEAD_BIAS))
    return Run(model, optimizers.Adam(3e-3), "sparse_categorical_crossentropy", x, y, epochs=8,
               validation_data=val)


@scenario("cnn", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout2_healthy_residual_cnn_zero_bias(seed):
    (x, y), val = data.digits(seed, image=True)
    model = _residual_cnn("zeros")
    return Run(model, optimizers.Adam(3e-3), "sparse_categorical_crossentropy", x, y, epochs=8,
               validation_data=val)
