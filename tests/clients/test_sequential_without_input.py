"""A `Sequential` model given no input shape: it is built by the first batch of `fit`."""

import math

import pytest

import keras
from tests.clients._client import DIGIT_CLASSES, SEEDS, assert_healthy, assert_learned, digits, fit_both

L = keras.layers


def _build():
    model = keras.Sequential([L.Dense(32, activation="relu"), L.Dense(DIGIT_CLASSES)])
    model.compile(keras.optimizers.Adam(0.01), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    assert not model.built
    return model


@pytest.mark.parametrize("seed", SEEDS)
def test_sequential_built_by_fit(seed):
    x, y = digits()

    def fit(model, callbacks):
        return model.fit(x[:1400], y[:1400], validation_data=(x[1400:], y[1400:]), batch_size=32, epochs=3, verbose=0,
                         callbacks=callbacks)

    diagnostics, _, (history,) = fit_both(_build, fit, seed)
    assert_learned(history, math.log(DIGIT_CLASSES))
    assert_healthy(diagnostics)
