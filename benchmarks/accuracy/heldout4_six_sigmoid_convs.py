"""Held out (fourth split): a CNN of six sigmoid convolutions without normalization.

The fault. A user builds a digits CNN (images reshaped to 8x8x1) of six `Conv2D(16, 3,
padding="same", activation="sigmoid")` layers with Keras' default glorot initialization and no
normalization, trained with SGD. The sigmoid's derivative is at most 0.25, and with glorot
weights each layer passes back only a fraction of the error it receives, so the error reaching
the first convolutions is orders of magnitude smaller than at the head: the early filters
hardly learn and the loss sits near chance. The run must show (`measure.gradients_vanish`) the
first layer's kernel gradient below 1e-3 of the last layer's at the end, and
(`measure.fails_to_learn`) a final training loss above half of chance.

Expected: `vanishing_gradient` (the cause: the gradient shrinks layer by layer through sigmoid
derivatives). Acceptable: `saturation` (sigmoid units near their bounds, one way the derivative
gets small), `plateau` and `underfitting` (the loss that stays near chance).

The healthy twin uses ReLU with `he_normal` (the fix). It must train well.
"""

from keras import optimizers

from benchmarks.accuracy import data, measure, models
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 8
LEARNING_RATE = 0.05
VANISHING_SIDE_EFFECTS = ("saturation", "plateau", "underfitting")


def _run(activation, kernel_initializer, seed):
    (x, y), val = data.digits(seed, image=True)
    model = models.conv_stack([16] * 6, activation, kernel_initializer=kernel_initializer)
    return Run(model, optimizers.SGD(LEARNING_RATE), "sparse_categorical_crossentropy", x, y,
               epochs=EPOCHS, validation_data=val)


@scenario("cnn", expected=("vanishing_gradient",), acceptable=VANISHING_SIDE_EFFECTS,
          heldout=True, verify=measure.all_of(measure.gradients_vanish(), measure.fails_to_learn()))
def heldout4_cnn_six_sigmoid_convs(seed):
    return _run("sigmoid", "glorot_uniform", seed)


@scenario("cnn", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout4_healthy_cnn_six_relu_convs_he_normal(seed):
    return _run("relu", "he_normal", seed)
