"""Held out (tenth split): three healthy runs that look unusual, by design.

None has a fault (`expected` is empty) and each trains as well as its task allows; each shows
a signal that a naive reading takes for a problem:

- a digits MLP (`Dense(64, "relu")`) whose Adam learning rate follows a triangular cycle per
  epoch, from 1e-3 up to 1e-2 and back every 6 epochs (a cyclical schedule): the loss climbs a
  little in the epochs at the top of each cycle and falls again; at least 0.9 validation
  accuracy and no overfitting;
- a logistic regression, one `Dense(1, "sigmoid")` unit (31 weights), on the standardized
  breast-cancer table with SGD(0.05): a model as small as it gets, whose loss stops well above
  zero; at least 0.93 validation accuracy;
- a GRU(32) on the digits' rows with a batch of 256 and Adam(3e-3): six updates per epoch, so
  the loss falls slowly per epoch at first; at least 0.9 validation accuracy after 30 epochs.
"""

import keras
from keras import layers, optimizers

from benchmarks.accuracy import data, heldout9_parts, heldout10_parts, models
from benchmarks.accuracy.scenario import Run, scenario

GOOD_ACCURACY = 0.9
LOGISTIC_ACCURACY = 0.93
CYCLE_EPOCHS = 6
LOW_RATE, HIGH_RATE = 1e-3, 1e-2


def triangular_rate(epoch, rate=None):
    """The cyclical schedule: `LOW_RATE` at the start of each cycle of `CYCLE_EPOCHS` epochs,
    `HIGH_RATE` in its middle, linear in between."""
    position = (epoch % CYCLE_EPOCHS) / (CYCLE_EPOCHS / 2)
    return LOW_RATE + (HIGH_RATE - LOW_RATE) * (1 - abs(position - 1))


@scenario("mlp", heldout=True, verify=heldout10_parts.accurate_and_generalizes())
def heldout10_healthy_mlp_adam_triangular_cyclical_learning_rate(seed):
    (x, y), val = data.digits(seed)
    return Run(models.dense_stack(64, [64], "relu"), optimizers.Adam(LOW_RATE),
               "sparse_categorical_crossentropy", x, y, epochs=2 * CYCLE_EPOCHS, validation_data=val,
               metrics=("accuracy",), callbacks=(keras.callbacks.LearningRateScheduler(triangular_rate),))


@scenario("linear", heldout=True, verify=heldout9_parts.at_least_accurate(LOGISTIC_ACCURACY))
def heldout10_healthy_linear_logistic_regression_breast_cancer(seed):
    (x, y), (x_val, y_val) = data.standardized("breast_cancer", seed)
    model = keras.Sequential([keras.Input((x.shape[1],)), layers.Dense(1, activation="sigmoid")])
    return Run(model, optimizers.SGD(0.05), "binary_crossentropy", x, y.astype("float32")[:, None],
               epochs=30, validation_data=(x_val, y_val.astype("float32")[:, None]), metrics=("accuracy",))


@scenario("rnn", heldout=True, verify=heldout9_parts.at_least_accurate(GOOD_ACCURACY))
def heldout10_healthy_rnn_gru_batch_256(seed):
    (x, y), val = data.digit_rows(seed)
    return Run(models.recurrent(layers.GRU, 32), optimizers.Adam(3e-3), "sparse_categorical_crossentropy",
               x, y, epochs=30, batch_size=256, validation_data=val, metrics=("accuracy",))
