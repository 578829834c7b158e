"""Held out (eighth split): three healthy runs that look unusual, by design.

None has a fault (`expected` is empty) and each must train well (validation accuracy of at
least 0.9 at its last validation); each shows a signal that a naive reading takes for a
problem:

- a CNN whose convolutions have `use_bias=False`, each followed by `BatchNormalization()` and a
  separate `ReLU()` layer: the convolutions have no bias and no activation of their own, the
  standard pattern when a batch norm follows (its `beta` is the bias);
- a digits MLP fitted with `validation_data=...` and `validation_freq=3`: the validation loss
  exists only after every third epoch (epochs 2, 5, 8, ...);
- a self-normalizing MLP of 8 hidden `Dense(64, activation="selu",
  kernel_initializer="lecun_normal")` layers, each followed by `AlphaDropout(0.05)`, on
  standardized digits: a deep stack with no normalization layer and no ReLU, whose
  activations are negative about half the time.
"""

import keras
from keras import layers, optimizers

from benchmarks.accuracy import data, heldout8_parts, models
from benchmarks.accuracy.scenario import Run, scenario

VALIDATION_FREQ = 3
SELU_DEPTH = 8
ALPHA_DROPOUT = 0.05


@scenario("cnn", heldout=True, verify=heldout8_parts.accurate)
def heldout8_healthy_cnn_conv_no_bias_batchnorm_relu(seed):
    (x, y), val = data.digits(seed, image=True)
    convs = []
    for filters in (16, 32):
        convs += [layers.Conv2D(filters, 3, padding="same", use_bias=False),
                  layers.BatchNormalization(), layers.ReLU()]
    model = keras.Sequential([keras.Input((8, 8, 1)), *convs, layers.MaxPooling2D(), layers.Flatten(),
                              layers.Dense(10, activation="softmax")])
    return Run(model, optimizers.Adam(1e-3), "sparse_categorical_crossentropy", x, y, epochs=10,
               validation_data=val, metrics=("accuracy",))


@scenario("mlp", heldout=True, verify=heldout8_parts.accurate)
def heldout8_healthy_mlp_validation_freq_3(seed):
    (x, y), val = data.digits(seed)
    model = models.dense_stack(64, [64, 64], "relu")
    return Run(model, optimizers.Adam(1e-3), "sparse_categorical_crossentropy", x, y, epochs=15,
               validation_data=val, metrics=("accuracy",), validation_freq=VALIDATION_FREQ)


@scenario("mlp", heldout=True, verify=heldout8_parts.accurate)
def heldout8_healthy_mlp_selu_lecun_normal_alpha_dropout(seed):
    (x, y), val = data.standardized_digits(seed)
    hidden = []
    for _ in range(SELU_DEPTH):
        hidden += [layers.Dense(64, activation="selu", kernel_initializer="lecun_normal"),
                   layers.AlphaDropout(ALPHA_DROPOUT)]
    model = keras.Sequential([keras.Input((64,)), *hidden, layers.Dense(10, activation="softmax")])
    return Run(model, optimizers.Adam(1e-3), "sparse_categorical_crossentropy", x, y, epochs=15,
               validation_data=val, metrics=("accuracy",))
