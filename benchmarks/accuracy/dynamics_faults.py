"""Training dynamics: overfitting tiny data, underfitting, plateaus, saddle points, a learning
rate far too high."""

import keras
import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import data, measure, models
from benchmarks.accuracy.scenario import Run, scenario

SPARSE_CE = "sparse_categorical_crossentropy"
TINY_INIT = keras.initializers.RandomNormal(stddev=1e-3)
SADDLE_INIT = keras.initializers.RandomNormal(stddev=1e-4)
TINY_TRAIN_SET = 100
OVERFIT_EPOCHS = 40
LABEL_NOISE = 0.2
STALL_SIDE_EFFECTS = ("underfitting",)
# Steps far too large blow the weights up: ReLU units die, tanh units saturate.
HIGH_LR_SIDE_EFFECTS = ("exploding_gradient", "dead_relu", "saturation", "underfitting",
                        "suspicious_config")


@scenario("mlp", expected=("overfitting",), verify=measure.overfits())
def mlp_512_units_100_noisy_samples_no_dropout(seed):
    (x, y), val = data.digits(seed, n_train=TINY_TRAIN_SET)
    y = data.flip_labels(y, LABEL_NOISE, 10, seed)
    model = models.dense_stack(64, [512, 512], "relu")
    return Run(model, optimizers.Adam(1e-3), SPARSE_CE, x, y, epochs=OVERFIT_EPOCHS, validation_data=val)


@scenario("cnn", expected=("overfitting",), verify=measure.overfits())
def cnn_100_samples_no_dropout(seed):
    (x, y), val = data.digits(seed, image=True, n_train=TINY_TRAIN_SET)
    model = models.conv_stack([32, 32], "relu")
    return Run(model, optimizers.Adam(2e-3), SPARSE_CE, x, y, epochs=OVERFIT_EPOCHS, validation_data=val)


@scenario("rnn", expected=("overfitting",), verify=measure.overfits())
def lstm_100_samples_no_dropout(seed):
    (x, y), val = data.digit_rows(seed, n_train=TINY_TRAIN_SET)
    model = models.recurrent(layers.LSTM, 128)
    return Run(model, optimizers.Adam(3e-3), SPARSE_CE, x, y, epochs=OVERFIT_EPOCHS, validation_data=val)


@scenario("mlp", expected=("underfitting",), acceptable=("plateau",), verify=measure.fails_to_learn())
def mlp_sgd_lr_1e_4(seed):
    (x, y), val = data.digits(seed)
    model = models.dense_stack(64, [64], "relu")
    return Run(model, optimizers.SGD(1e-4), SPARSE_CE, x, y, epochs=8, validation_data=val)


@scenario("rnn", expected=("underfitting",), acceptable=("plateau",), verify=measure.fails_to_learn())
def gru_sgd_lr_1e_4(seed):
    (x, y), val = data.digit_rows(seed)
    model = models.recurrent(layers.GRU, 32)
    return Run(model, optimizers.SGD(1e-4), SPARSE_CE, x, y, epochs=8, validation_data=val)


@scenario("two_input", expected=("underfitting",), acceptable=("plateau",),
          verify=measure.fails_to_learn())
def two_input_linear_model_on_xor(seed):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(2, 1200, 2)).astype("float32")
    y = ((a[:, 0] > 0) != (b[:, 0] > 0)).astype("int64")
    model = models.two_input([8], None, output_units=1, output_activation="sigmoid", input_dim=2)
    return Run(model, optimizers.Adam(1e-2), "binary_crossentropy", [a[:900], b[:900]], y[:900],
               epochs=10, validation_data=([a[900:], b[900:]], y[900:]))


@scenario("mlp", expected=("plateau",), acceptable=STALL_SIDE_EFFECTS + ("vanishing_gradient",),
          verify=measure.stalls_on_curvature("plateau"))
def mlp_four_tanh_layers_init_stddev_1e_3(seed):
    (x, y), val = data.digits(seed)
    model = models.dense_stack(64, [32] * 4, "tanh", kernel_initializer=TINY_INIT)
    return Run(model, optimizers.SGD(0.05), SPARSE_CE, x, y, epochs=8, validation_data=val)


@scenario("two_input", expected=("plateau",), acceptable=STALL_SIDE_EFFECTS + ("vanishing_gradient",),
          verify=measure.stalls_on_curvature("plateau"))
def two_input_three_tanh_layers_init_stddev_1e_3(seed):
    (x, y), (x_val, y_val) = data.digits(seed)
    model = models.two_input([32] * 3, "tanh", head_widths=[32], kernel_initializer=TINY_INIT)
    return Run(model, optimizers.SGD(0.05), SPARSE_CE, data.halves(x), y, epochs=8,
               validation_data=(data.halves(x_val), y_val))


# Its ReLUs die as the run crawls from the saddle (100% of the last conv, measured on 512 samples).
@scenario("cnn", expected=("saddle_point",), acceptable=STALL_SIDE_EFFECTS + ("dead_relu",),
          verify=measure.stalls_on_curvature("saddle"))
def cnn_four_convs_init_stddev_1e_3(seed):
    (x, y), val = data.digits(seed, image=True)
    model = models.conv_stack([8] * 4, "relu", kernel_initializer=TINY_INIT)
    return Run(model, optimizers.SGD(0.1), SPARSE_CE, x, y, epochs=8, validation_data=val)


@scenario("mlp", expected=("saddle_point",), acceptable=STALL_SIDE_EFFECTS,
          verify=measure.stalls_on_curvature("saddle"))
def mlp_one_tanh_layer_init_stddev_1e_4(seed):
    (x, y), val = data.digits(seed)
    model = models.dense_stack(64, [32], "tanh", kernel_initializer=SADDLE_INIT)
    return Run(model, optimizers.SGD(0.05), SPARSE_CE, x, y, epochs=15, validation_data=val)


@scenario("two_input", expected=("saddle_point",), acceptable=STALL_SIDE_EFFECTS,
          verify=measure.stalls_on_curvature("saddle"))
def two_input_tanh_init_stddev_1e_4(seed):
    (x, y), (x_val, y_val) = data.digits(seed)
    model = models.two_input([16], "tanh", kernel_initializer=SADDLE_INIT)
    return Run(model, optimizers.SGD(0.05), SPARSE_CE, data.halves(x), y, epochs=15,
               validation_data=(data.halves(x_val), y_val))


@scenario("mlp", expected=("oscillation",), acceptable=HIGH_LR_SIDE_EFFECTS, verify=measure.oscillates())
def mlp_tanh_sgd_lr_3(seed):
    (x, y), val = data.digits(seed)
    model = models.dense_stack(64, [64], "tanh")
    return Run(model, optimizers.SGD(3.0), SPARSE_CE, x, y, epochs=10, validation_data=val)


@scenario("cnn", expected=("oscillation",), acceptable=HIGH_LR_SIDE_EFFECTS, verify=measure.oscillates())
def cnn_tanh_sgd_lr_3(seed):
    (x, y), val = data.digits(seed, image=True)
    model = models.conv_stack([16], "tanh")
    return Run(model, optimizers.SGD(3.0), SPARSE_CE, x, y, epochs=10, validation_data=val)


@scenario("rnn", expected=("oscillation",), acceptable=HIGH_LR_SIDE_EFFECTS, verify=measure.oscillates())
def gru_sgd_lr_30(seed):
    (x, y), val = data.digit_rows(seed)
    model = models.recurrent(layers.GRU, 32)
    return Run(model, optimizers.SGD(30.0), SPARSE_CE, x, y, epochs=10, validation_data=val)
