"""The breast-cancer classifier whose one output unit the output-range scenarios vary.

A standardized breast-cancer MLP (30 -> 32 -> 32 -> 1, ReLU) under binary cross-entropy, Adam at
1e-3, batches of 16, 20 epochs. Keras' binary cross-entropy clips a score to [1e-7, 1 - 1e-7], so
an output unit whose range leaves [0, 1] (linear: split 4, tanh: split 5) puts rows on a flat
piece of the loss, where their gradient is exactly zero; the sigmoid unit is the fix of both.

Example:

>>> run = output_range_run("tanh", seed=0, loss="binary_crossentropy")      # doctest: +SKIP
>>> scores, gradient = score_gradients(run)                                  # doctest: +SKIP
"""

import numpy as np
import tensorflow as tf
from keras import losses, optimizers

from benchmarks.accuracy import data, models
from benchmarks.accuracy.scenario import Run

EPOCHS = 20
LEARNING_RATE = 1e-3
BATCH = 16
# A quarter of the rows that no longer teach is a large share of the data lost to the clip.
CLIPPED_SHARE = 0.25
RANGE_SIDE_EFFECTS = ("zero_gradient", "plateau", "underfitting")


def output_range_run(output_activation, seed, loss):
    """The classifier with `Dense(1, activation=output_activation)` last, compiled with `loss`.

    Args:
        output_activation: the output unit's activation (None: linear).
        seed: the seed of the data split.
        loss: a binary cross-entropy, by name or as a `keras.losses.Loss`.

    Returns:
        A `Run` whose labels are float32.
    """
    (x, y), (x_val, y_val) = data.standardized("breast_cancer", seed)
    model = models.dense_stack(30, [32, 32], "relu", output_units=1,
                               output_activation=output_activation)
    return Run(model, optimizers.Adam(LEARNING_RATE), loss, x, y.astype("float32"), epochs=EPOCHS,
               batch_size=BATCH, validation_data=(x_val, y_val.astype("float32")))


def score_gradients(run):
    """The model's score on each training row, and the gradient of Keras' binary cross-entropy
    (its clip included) with respect to that score.

    Returns:
        `(scores, gradient)`, both flat arrays of one value a row.
    """
    scores = tf.constant(run.model.predict(run.x, verbose=0))
    with tf.GradientTape() as tape:
        tape.watch(scores)
        total = tf.reduce_sum(losses.binary_crossentropy(run.y.reshape(-1, 1), scores))
    gradient = np.asarray(tape.gradient(total, scores)).reshape(-1)
    return np.asarray(scores).reshape(-1), gradient
