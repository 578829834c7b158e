"""Healthy runs: each trains well and does not overfit (measured), and must get no finding at all."""

import keras
import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import data, measure, models
from benchmarks.accuracy.scenario import Run, scenario

SPARSE_CE = "sparse_categorical_crossentropy"
NOISE_STDDEV = 0.1
HEALTHY = measure.all_of(measure.trains_well(), measure.generalizes())
# Breast cancer is almost linearly separable: without a penalty the logistic weights grow for
# ever and the validation loss rises (it overfits); with one the run has an optimum to sit at.
LOGISTIC_L2 = 1e-2


@scenario("linear", verify=HEALTHY)
def healthy_linear_regression_converged(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(600, 5)).astype("float32")
    y = (x @ rng.normal(size=5) + NOISE_STDDEV * rng.normal(size=600)).astype("float32")[:, None]
    model = keras.Sequential([keras.Input((5,)), layers.Dense(1)])
    return Run(model, optimizers.Adam(0.05), "mse", x[:450], y[:450], epochs=40,
               validation_data=(x[450:], y[450:]))


@scenario("cnn", verify=HEALTHY)
def healthy_cnn(seed):
    (x, y), val = data.digits(seed, image=True)
    model = keras.Sequential([keras.Input((8, 8, 1)), layers.Conv2D(16, 3, activation="relu"),
                              layers.MaxPooling2D(), layers.Flatten(), layers.Dense(32, activation="relu"),
                              layers.Dense(10, activation="softmax")])
    return Run(model, optimizers.Adam(2e-3), SPARSE_CE, x, y, epochs=10, validation_data=val)


@scenario("rnn", verify=HEALTHY)
def healthy_lstm(seed):
    (x, y), val = data.digit_rows(seed)
    model = models.recurrent(layers.LSTM, 32)
    return Run(model, optimizers.Adam(5e-3), SPARSE_CE, x, y, epochs=10, validation_data=val)


@scenario("rnn", verify=HEALTHY)
def healthy_gru(seed):
    (x, y), val = data.digit_rows(seed)
    model = models.recurrent(layers.GRU, 32)
    return Run(model, optimizers.Adam(5e-3), SPARSE_CE, x, y, epochs=10, validation_data=val)


@scenario("mlp", verify=HEALTHY)
def healthy_frozen_base_fine_tune(seed):
    (x, y), val = data.digits(seed)
    base = keras.Sequential([keras.Input((64,)), layers.Dense(64, activation="relu"),
                             layers.Dense(32, activation="relu")], name="base")
    pretrain = keras.Sequential([base, layers.Dense(10, activation="softmax")])
    pretrain.compile(optimizer=optimizers.Adam(3e-3), loss=SPARSE_CE)
    pretrain.fit(x, y, epochs=5, batch_size=64, verbose=0)  # pretraining, not diagnosed
    base.trainable = False
    model = keras.Sequential([keras.Input((64,)), base, layers.Dense(10, activation="softmax")])
    return Run(model, optimizers.Adam(3e-3), SPARSE_CE, x, y, epochs=6, validation_data=val)


@scenario("mlp", verify=HEALTHY)
def healthy_two_epochs(seed):
    (x, y), val = data.digits(seed)
    model = models.dense_stack(64, [64], "relu")
    return Run(model, optimizers.Adam(3e-3), SPARSE_CE, x, y, epochs=2, validation_data=val)


@scenario("mlp", verify=HEALTHY)
def healthy_batch_4_noisy_loss(seed):
    (x, y), val = data.digits(seed, n_train=600)
    model = models.dense_stack(64, [64], "relu")
    return Run(model, optimizers.SGD(0.02), SPARSE_CE, x, y, epochs=5, batch_size=4,
               validation_data=val)


@scenario("linear", verify=HEALTHY)
def healthy_logistic_regression_long_run_at_optimum(seed):
    (x, y), (x_val, y_val) = data.standardized("breast_cancer", seed)
    model = keras.Sequential([keras.Input((30,)), layers.Dense(
        1, activation="sigmoid", kernel_regularizer=keras.regularizers.L2(LOGISTIC_L2))])
    return Run(model, optimizers.Adam(1e-2), "binary_crossentropy", x, y.astype("float32"),
               epochs=60, validation_data=(x_val, y_val.astype("float32")))


@scenario("cnn", verify=HEALTHY)
def healthy_batchnorm_residual_net(seed):
    (x, y), val = data.digits(seed, image=True)
    inputs = keras.Input((8, 8, 1))
    tensor = layers.Conv2D(16, 3, padding="same")(inputs)
    for _ in range(2):
        branch = layers.Conv2D(16, 3, padding="same", use_bias=False)(tensor)
        branch = layers.BatchNormalization()(branch)
        branch = layers.Activation("relu")(branch)
        branch = layers.Conv2D(16, 3, padding="same", use_bias=False)(branch)
        branch = layers.BatchNormalization()(branch)
        tensor = layers.Activation("relu")(layers.Add()([tensor, branch]))
    tensor = layers.GlobalAveragePooling2D()(tensor)
    model = keras.Model(inputs, layers.Dense(10, activation="softmax")(tensor))
    return Run(model, optimizers.Adam(3e-3), SPARSE_CE, x, y, epochs=8, validation_data=val)


@scenario("two_input", verify=HEALTHY)
def healthy_two_input_mlp(seed):
    (x, y), (x_val, y_val) = data.digits(seed)
    model = models.two_input([32], "relu", head_widths=[32])
    return Run(model, optimizers.Adam(3e-3), SPARSE_CE, data.halves(x), y, epochs=8,
               validation_data=(data.halves(x_val), y_val))
