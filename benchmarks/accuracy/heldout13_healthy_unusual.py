"""Held out (thirteenth split): three healthy runs that look unusual, by design.

None has a fault (`expected` is empty) and each trains as well as its task allows; each shows
a setting that a naive reading takes for a problem:

- a digits MLP of four `Dense(64, "tanh")` layers with `kernel_initializer="lecun_normal"` on
  standardized pixels: a deep stack of bounded units, which reads like a recipe for saturation
  or vanishing gradients, but LeCun's variance 1/fan_in keeps each layer's pre-activations near
  unit scale, inside tanh's linear range; at least 0.9 validation accuracy and no overfitting;
- a GRU(32) that reads the digits' rows bottom-up (`go_backwards=True`): the image arrives in
  reverse order, which looks like a data-ordering bug, but the digit is as readable from the
  bottom as from the top; at least 0.9 validation accuracy and no overfitting;
- a binary classifier with labels -1 and +1 and one `Dense(1, "tanh")` output, trained with the
  hinge loss (Adam(1e-3)): -1/+1 labels and a tanh output look like a label and output
  mismatch, and the loss sits near 0 but not at it, yet this is a margin classifier set up as
  the hinge loss expects; at least 0.8 validation accuracy by the output's sign, and no
  overfitting.
"""

import keras
import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import data, heldout8_parts, heldout11_parts, measure
from benchmarks.accuracy.scenario import Run, scenario

SIGN_ACCURACY = 0.8


@scenario("mlp", heldout=True, verify=heldout11_parts.accurate_and_generalizes())
def heldout13_healthy_mlp_four_tanh_layers_lecun_normal(seed):
    (x, y), val = data.standardized_digits(seed)
    hidden = [layers.Dense(64, activation="tanh", kernel_initializer="lecun_normal") for _ in range(4)]
    model = keras.Sequential([keras.Input((64,)), *hidden, layers.Dense(10, activation="softmax")])
    return Run(model, optimizers.Adam(1e-3), "sparse_categorical_crossentropy", x, y, epochs=15,
               validation_data=val, metrics=("accuracy",))


@scenario("rnn", heldout=True, verify=heldout11_parts.accurate_and_generalizes())
def heldout13_healthy_rnn_gru_go_backwards_digit_rows(seed):
    (x, y), val = data.digit_rows(seed)
    model = keras.Sequential([keras.Input((8, 8)), layers.GRU(32, go_backwards=True),
                              layers.Dense(10, activation="softmax")])
    return Run(model, optimizers.Adam(3e-3), "sparse_categorical_crossentropy", x, y, epochs=15,
               validation_data=val, metrics=("accuracy",))


def sign_accurate(trained):
    """The sign of the output matches the -1/+1 validation label on at least `SIGN_ACCURACY` of
    the rows."""
    x_val, y_val = trained.run.validation_data
    scores = np.asarray(trained.run.model(x_val, training=False)).reshape(-1)
    accuracy = float(np.mean(np.sign(scores) == np.asarray(y_val).reshape(-1)))
    return accuracy >= SIGN_ACCURACY, f"validation accuracy by sign {accuracy:.3f}"


@scenario("mlp", heldout=True, verify=measure.all_of(sign_accurate, measure.generalizes()))
def heldout13_healthy_mlp_tanh_output_hinge_loss_labels_minus_one_plus_one(seed):
    (x, y), (x_val, y_val) = heldout8_parts.tabular_binary(seed)
    signs = [(2.0 * labels - 1.0).astype("float32")[:, None] for labels in (y, y_val)]
    model = keras.Sequential([keras.Input((10,)), layers.Dense(32, activation="relu"),
                              layers.Dense(32, activation="relu"), layers.Dense(1, activation="tanh")])
    return Run(model, optimizers.Adam(1e-3), "hinge", x, signs[0], epochs=20,
               validation_data=(x_val, signs[1]))
