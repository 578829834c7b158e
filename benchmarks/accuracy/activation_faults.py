"""Dead ReLUs and saturated units: negative bias init, a learning rate far too high, sigmoid and
tanh layers initialized with a large standard deviation."""

import keras
from keras import optimizers

from benchmarks.accuracy import data, measure, models
from benchmarks.accuracy.scenario import Run, scenario

SPARSE_CE = "sparse_categorical_crossentropy"
DEAD_SIDE_EFFECTS = ("vanishing_gradient", "underfitting", "plateau")
HIGH_LR_SIDE_EFFECTS = ("exploding_gradient", "oscillation", "underfitting", "plateau",
                        "suspicious_config", "vanishing_gradient")
SATURATION_SIDE_EFFECTS = ("vanishing_gradient", "underfitting", "plateau")


@scenario("mlp", expected=("dead_relu",), acceptable=DEAD_SIDE_EFFECTS, verify=measure.units_dead())
def mlp_relu_bias_init_minus_2(seed):
    (x, y), val = data.digits(seed)
    model = models.dense_stack(64, [64, 64], "relu",
                               bias_initializer=keras.initializers.Constant(-2.0))
    return Run(model, optimizers.Adam(1e-3), SPARSE_CE, x, y, epochs=6, validation_data=val)


@scenario("cnn", expected=("dead_relu",), acceptable=HIGH_LR_SIDE_EFFECTS, verify=measure.units_dead())
def cnn_relu_sgd_lr_3(seed):
    (x, y), val = data.digits(seed, image=True)
    model = models.conv_stack([16, 16], "relu")
    return Run(model, optimizers.SGD(3.0), SPARSE_CE, x, y, epochs=6, validation_data=val)


@scenario("two_input", expected=("dead_relu",), acceptable=HIGH_LR_SIDE_EFFECTS,
          verify=measure.units_dead())
def two_input_relu_adam_lr_0_1(seed):
    (x, y), val = data.digit_halves(seed)
    model = models.two_input([64], "relu", head_widths=[64])
    return Run(model, optimizers.Adam(0.1), SPARSE_CE, x, y, epochs=6, validation_data=val)


@scenario("mlp", expected=("saturation",), acceptable=SATURATION_SIDE_EFFECTS,
          verify=measure.units_saturated())
def mlp_sigmoid_init_stddev_4(seed):
    (x, y), val = data.digits(seed)
    model = models.dense_stack(64, [64, 64, 64], "sigmoid",
                               kernel_initializer=keras.initializers.RandomNormal(stddev=4.0))
    return Run(model, optimizers.SGD(0.05), SPARSE_CE, x, y, epochs=8, validation_data=val)


@scenario("cnn", expected=("saturation",), acceptable=SATURATION_SIDE_EFFECTS,
          verify=measure.units_saturated())
def cnn_sigmoid_init_stddev_4(seed):
    (x, y), val = data.digits(seed, image=True)
    model = models.conv_stack([16, 16, 16], "sigmoid",
                              kernel_initializer=keras.initializers.RandomNormal(stddev=4.0))
    return Run(model, optimizers.SGD(0.05), SPARSE_CE, x, y, epochs=8, validation_data=val)


@scenario("two_input", expected=("saturation",), acceptable=SATURATION_SIDE_EFFECTS,
          verify=measure.units_saturated())
def two_input_sigmoid_init_stddev_4(seed):
    (x, y), val = data.digit_halves(seed)
    model = models.two_input([64, 64], "sigmoid", head_widths=[64],
                             kernel_initializer=keras.initializers.RandomNormal(stddev=4.0))
    return Run(model, optimizers.SGD(0.05), SPARSE_CE, x, y, epochs=8, validation_data=val)
