"""One-hot targets (`keras.utils.to_categorical`) for a softmax `Sequential` classifier compiled
with `"categorical_crossentropy"` and an accuracy metric, as the Keras MNIST example does."""

import math

import pytest

import keras
from tests.clients._client import DIGIT_CLASSES, SEEDS, assert_healthy, assert_learned, digits, fit_both

L = keras.layers
TRAIN_ROWS = 1400


def _build():
    model = keras.Sequential([keras.Input((64,)), L.Dense(32, activation="relu", name="hidden"),
                              L.Dense(DIGIT_CLASSES, activation="softmax", name="probabilities")])
    model.compile(keras.optimizers.Adam(0.01), "categorical_crossentropy", metrics=["accuracy"])
    return model


@pytest.mark.parametrize("seed", SEEDS)
def test_one_hot_targets_with_categorical_crossentropy(seed):
    x, labels = digits()
    y = keras.utils.to_categorical(labels, DIGIT_CLASSES)

    def fit(model, callbacks):
        return model.fit(x[:TRAIN_ROWS], y[:TRAIN_ROWS], validation_data=(x[TRAIN_ROWS:], y[TRAIN_ROWS:]),
                         batch_size=32, epochs=3, verbose=0, callbacks=callbacks)

    diagnostics, _, (history,) = fit_both(_build, fit, seed)
    assert_learned(history, math.log(DIGIT_CLASSES))
    assert history["accuracy"][-1] > 0.8
    assert_healthy(diagnostics)
