"""A siamese network: one encoder shared by two inputs, joined by `keras.ops.abs(a - b)` (an
Operation node, not a Layer, in the functional graph)."""

import math

import numpy as np
import pytest

import keras
from tests.clients._client import SEEDS, assert_healthy, assert_learned, fit_both

L = keras.layers
FEATURES = 8


def _pairs(seed, rows=1024):
    """Pairs of vectors; label 1 for a vector and a slightly noisy copy, 0 for two unrelated ones."""
    rng = np.random.default_rng(seed)
    first = rng.normal(size=(rows, FEATURES))
    same = rng.integers(0, 2, size=rows)
    second = np.where(same[:, None] == 1, first + 0.1 * rng.normal(size=first.shape), rng.normal(size=first.shape))
    return [first.astype("float32"), second.astype("float32")], same.astype("float32")


def _build():
    encoder = keras.Sequential([keras.Input((FEATURES,)), L.Dense(16, activation="relu"), L.Dense(8)], name="encoder")
    first, second = keras.Input((FEATURES,)), keras.Input((FEATURES,))
    distance = keras.ops.abs(encoder(first) - encoder(second))
    model = keras.Model([first, second], L.Dense(1, activation="sigmoid")(distance))
    model.compile(keras.optimizers.Adam(0.01), "binary_crossentropy")
    return model


@pytest.mark.parametrize("seed", SEEDS)
def test_siamese_shared_encoder(seed):
    (first, second), same = _pairs(seed)

    def fit(model, callbacks):
        return model.fit([first[:896], second[:896]], same[:896],
                         validation_data=([first[896:], second[896:]], same[896:]), batch_size=32, epochs=3,
                         verbose=0, callbacks=callbacks)

    diagnostics, _, (history,) = fit_both(_build, fit, seed)
    assert_learned(history, math.log(2))
    assert_healthy(diagnostics)
