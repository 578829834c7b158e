"""Recurrent layers with their own input dropout (`LSTM(dropout=...)`, `GRU(dropout=...)`), then a
`Dropout`: the digits read as 8 rows of 8 pixels. Keras 3 draws from a recurrent cell's random
stream even on an inference call, and the monitors run the model on probe rows between epochs:
the losses must still be those of the plain `fit` (same dropout masks at every step)."""

import math

import pytest

import keras
from tests.clients._client import (DIGIT_CLASSES, SEEDS, assert_healthy, assert_learned, fit_both,
                                   standardized_digits)

L = keras.layers
TRAIN_ROWS = 1400


def _build(recurrent):
    inputs = keras.Input((8, 8))
    summary = recurrent(16, dropout=0.2, name="recurrent")(inputs)
    model = keras.Model(inputs, L.Dense(DIGIT_CLASSES, name="logits")(L.Dropout(0.3)(summary)))
    model.compile(keras.optimizers.Adam(0.01), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


@pytest.mark.parametrize("recurrent", [L.LSTM, L.GRU], ids=["lstm", "gru"])
@pytest.mark.parametrize("seed", SEEDS)
def test_recurrent_dropout_keeps_its_masks(recurrent, seed):
    x, y = standardized_digits()
    rows = x.reshape(-1, 8, 8)

    def fit(model, callbacks):
        return model.fit(rows[:TRAIN_ROWS], y[:TRAIN_ROWS], validation_data=(rows[TRAIN_ROWS:], y[TRAIN_ROWS:]),
                         batch_size=32, epochs=3, verbose=0, callbacks=callbacks)

    diagnostics, _, (history,) = fit_both(lambda: _build(recurrent), fit, seed)
    assert_learned(history, math.log(DIGIT_CLASSES), fraction=0.6)
    assert_healthy(diagnostics)
