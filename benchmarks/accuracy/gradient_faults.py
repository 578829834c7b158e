"""Vanishing and exploding gradients: sigmoid deep nets, weights initialized far too large."""

import keras
from keras import layers, optimizers

from benchmarks.accuracy import data, measure, models
from benchmarks.accuracy.scenario import Run, scenario

SPARSE_CE = "sparse_categorical_crossentropy"
LARGE_INIT = keras.initializers.RandomNormal(stddev=1.0)
VANISHING_SIDE_EFFECTS = ("underfitting", "plateau")
EXPLODING_SIDE_EFFECTS = ("non_finite", "dead_relu", "oscillation", "underfitting",
                          "suspicious_config")


@scenario("mlp", expected=("vanishing_gradient",), acceptable=VANISHING_SIDE_EFFECTS,
          verify=measure.gradients_vanish())
def mlp_ten_sigmoid_layers(seed):
    (x, y), val = data.digits(seed)
    model = models.dense_stack(64, [32] * 10, "sigmoid")
    return Run(model, optimizers.SGD(0.05), SPARSE_CE, x, y, epochs=6, validation_data=val)


@scenario("cnn", expected=("vanishing_gradient",), acceptable=VANISHING_SIDE_EFFECTS,
          verify=measure.gradients_vanish())
def cnn_eight_sigmoid_convs(seed):
    (x, y), val = data.digits(seed, image=True)
    model = models.conv_stack([8] * 8, "sigmoid")
    return Run(model, optimizers.SGD(0.05), SPARSE_CE, x, y, epochs=6, validation_data=val)


@scenario("rnn", expected=("vanishing_gradient",), acceptable=VANISHING_SIDE_EFFECTS,
          verify=measure.gradients_vanish())
def rnn_six_stacked_sigmoid_rnns(seed):
    (x, y), val = data.digit_rows(seed)
    stack = [layers.SimpleRNN(16, activation="sigmoid", return_sequences=True) for _ in range(5)]
    model = keras.Sequential([keras.Input((8, 8)), *stack, layers.SimpleRNN(16, activation="sigmoid"),
                              layers.Dense(10, activation="softmax")])
    return Run(model, optimizers.SGD(0.05), SPARSE_CE, x, y, epochs=6, validation_data=val)


@scenario("two_input", expected=("vanishing_gradient",), acceptable=VANISHING_SIDE_EFFECTS,
          verify=measure.gradients_vanish())
def two_input_deep_sigmoid(seed):
    (x, y), val = data.digit_halves(seed)
    model = models.two_input([32] * 5, "sigmoid", head_widths=[32] * 4)
    return Run(model, optimizers.SGD(0.05), SPARSE_CE, x, y, epochs=6, validation_data=val)


@scenario("mlp", expected=("exploding_gradient",), acceptable=EXPLODING_SIDE_EFFECTS,
          verify=measure.gradients_explode())
def mlp_relu_init_stddev_1(seed):
    (x, y), val = data.digits(seed)
    model = models.dense_stack(64, [64] * 8, "relu", kernel_initializer=LARGE_INIT)
    return Run(model, optimizers.SGD(0.01), SPARSE_CE, x, y, epochs=5, validation_data=val)


@scenario("cnn", expected=("exploding_gradient",), acceptable=EXPLODING_SIDE_EFFECTS,
          verify=measure.gradients_explode())
def cnn_relu_init_stddev_1(seed):
    (x, y), val = data.digits(seed, image=True)
    model = models.conv_stack([16] * 5, "relu", kernel_initializer=LARGE_INIT)
    return Run(model, optimizers.SGD(0.01), SPARSE_CE, x, y, epochs=5, validation_data=val)


@scenario("rnn", expected=("exploding_gradient",), acceptable=EXPLODING_SIDE_EFFECTS,
          verify=measure.gradients_explode())
def rnn_relu_recurrent_init_stddev_1(seed):
    (x, y), val = data.digit_rows(seed)
    model = models.recurrent(layers.SimpleRNN, 32, activation="relu",
                             recurrent_initializer=LARGE_INIT)
    return Run(model, optimizers.SGD(0.01), SPARSE_CE, x, y, epochs=5, validation_data=val)
