"""Held out (eleventh split): three healthy runs that look unusual, by design.

None has a fault (`expected` is empty) and each trains as well as its task allows; each shows
a setting that a naive reading takes for a problem:

- a digits MLP (`Dense(64, "relu")`) trained by Adam(1e-3) with `clipnorm=1e-4`: every
  gradient is clipped to a ten-thousandth, but Adam divides each step by the root of the
  gradient's own running square, so the scale of the gradient cancels and the steps are what
  they would be unclipped; at least 0.9 validation accuracy and no overfitting;
- a digits MLP whose softmax head is trained with mean absolute error on one-hot labels (a
  loss that is robust to wrong labels): unusual for a classifier, but with Adam(1e-3) it learns
  the digits; at least 0.9 validation accuracy and no overfitting;
- a digits CNN that pools 4x4 twice (`MaxPooling2D(4, padding="same")` after each of two
  convs), so the map is 1x1 before the head: sixteen and then thirty-two "is this stroke
  anywhere in this quarter" features still classify the digits; at least 0.9 validation
  accuracy and no overfitting.
"""

import keras
from keras import layers, optimizers

from benchmarks.accuracy import data, heldout8_parts, heldout11_parts, models
from benchmarks.accuracy.scenario import Run, scenario


@scenario("mlp", heldout=True, verify=heldout11_parts.accurate_and_generalizes())
def heldout11_healthy_mlp_adam_clipnorm_1e_4(seed):
    (x, y), val = data.digits(seed)
    return Run(models.dense_stack(64, [64], "relu"), optimizers.Adam(1e-3, clipnorm=1e-4),
               "sparse_categorical_crossentropy", x, y, epochs=15, validation_data=val, metrics=("accuracy",))


@scenario("mlp", heldout=True, verify=heldout11_parts.accurate_and_generalizes())
def heldout11_healthy_mlp_softmax_mean_absolute_error_one_hot(seed):
    (x, y), val = heldout8_parts.one_hot(data.digits(seed))
    return Run(models.dense_stack(64, [64], "relu"), optimizers.Adam(1e-3), "mean_absolute_error", x, y,
               epochs=20, validation_data=val, metrics=("accuracy",))


@scenario("cnn", heldout=True, verify=heldout11_parts.accurate_and_generalizes())
def heldout11_healthy_cnn_max_pooling_4_twice_to_1x1(seed):
    (x, y), val = data.digits(seed, image=True)
    model = keras.Sequential([keras.Input((8, 8, 1)),
                              layers.Conv2D(16, 3, padding="same", activation="relu"),
                              layers.MaxPooling2D(4, padding="same"),
                              layers.Conv2D(32, 3, padding="same", activation="relu"),
                              layers.MaxPooling2D(4, padding="same"), layers.Flatten(),
                              layers.Dense(10, activation="softmax")])
    return Run(model, optimizers.Adam(1e-3), "sparse_categorical_crossentropy", x, y, epochs=15,
               validation_data=val, metrics=("accuracy",))
