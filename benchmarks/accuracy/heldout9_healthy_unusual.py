"""Held out (ninth split): three healthy runs that look unusual, by design.

None has a fault (`expected` is empty) and each trains as well as its task allows; each shows
a signal that a naive reading takes for a problem:

- a digits MLP with one hidden layer of 8 ReLU units, trained with Adam(1e-2): a tiny model
  whose loss floor is higher than a large model's, yet at least 0.9 validation accuracy;
- a linear regression on data whose noise is as large as its signal (generated: 10
  standardized features, y = x . w plus noise, half of y's variance from each): the loss stops
  at about half of the targets' variance, which is the noise, the best any model can do; it
  must end within 10% of that noise variance on the validation set;
- a CNN whose first `Conv2D(32, 3, "relu")` is a fixed random filter bank (`trainable=False`,
  He-normal): that layer gets no update for the whole run, and only the layers after it learn;
  at least 0.9 validation accuracy.
"""

import keras
import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import data, heldout9_parts, models
from benchmarks.accuracy.scenario import Run, scenario

GOOD_ACCURACY = 0.9
NOISE_FLOOR_MARGIN = 0.1
REGRESSION_SAMPLES = 2000
REGRESSION_FEATURES = 10
NOISE_VARIANCE = 1.0


@scenario("mlp", heldout=True, verify=heldout9_parts.at_least_accurate(GOOD_ACCURACY))
def heldout9_healthy_mlp_one_hidden_layer_8_units(seed):
    (x, y), val = data.digits(seed)
    model = models.dense_stack(64, [8], "relu")
    return Run(model, optimizers.Adam(1e-2), "sparse_categorical_crossentropy", x, y, epochs=30,
               validation_data=val, metrics=("accuracy",))


def noisy_linear(seed):
    """`(x, y), (x_val, y_val)`: standardized normal features, y = x . w with w scaled so that
    x . w has variance 1, plus normal noise of variance `NOISE_VARIANCE`."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(REGRESSION_SAMPLES, REGRESSION_FEATURES)).astype("float32")
    w = rng.normal(size=REGRESSION_FEATURES)
    w /= np.linalg.norm(w)
    noise = rng.normal(scale=np.sqrt(NOISE_VARIANCE), size=REGRESSION_SAMPLES)
    return data.split(x, (x @ w + noise)[:, None].astype("float32"), seed)


def at_the_noise_floor(trained):
    """The final validation loss is within `NOISE_FLOOR_MARGIN` of the noise variance."""
    last = trained.history["val_loss"][-1]
    return abs(last - NOISE_VARIANCE) <= NOISE_FLOOR_MARGIN * NOISE_VARIANCE, \
        f"final val loss {last:.3f}, noise variance {NOISE_VARIANCE}"


@scenario("linear", heldout=True, verify=at_the_noise_floor)
def heldout9_healthy_linear_regression_noise_as_large_as_signal(seed):
    (x, y), val = noisy_linear(seed)
    model = keras.Sequential([keras.Input((REGRESSION_FEATURES,)), layers.Dense(1)])
    return Run(model, optimizers.Adam(1e-2), "mean_squared_error", x, y, epochs=20, validation_data=val)


@scenario("cnn", heldout=True, verify=heldout9_parts.at_least_accurate(GOOD_ACCURACY))
def heldout9_healthy_cnn_frozen_random_first_conv(seed):
    (x, y), val = data.digits(seed, image=True)
    model = keras.Sequential([
        keras.Input((8, 8, 1)),
        layers.Conv2D(32, 3, padding="same", activation="relu", kernel_initializer="he_normal",
                      trainable=False),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Flatten(),
        layers.Dense(10, activation="softmax"),
    ])
    return Run(model, optimizers.Adam(1e-3), "sparse_categorical_crossentropy", x, y, epochs=10,
               validation_data=val, metrics=("accuracy",))
