"""Sequence models built from Keras' wrappers: `TimeDistributed(Dense)` on every time step, then a
`Bidirectional(LSTM)`; the digits read as 8 rows of 8 pixels."""

import math

import pytest

import keras
from tests.clients._after_fit import assert_saves_loads_and_fits_again
from tests.clients._client import (DIGIT_CLASSES, SEEDS, assert_healthy, assert_learned, fit_both,
                                   standardized_digits)

L = keras.layers
TRAIN_ROWS = 1400


def _build():
    inputs = keras.Input((8, 8))
    steps = L.TimeDistributed(L.Dense(16, activation="relu"), name="per_row")(inputs)
    summary = L.Bidirectional(L.LSTM(16), name="bilstm")(steps)
    model = keras.Model(inputs, L.Dense(DIGIT_CLASSES, name="logits")(summary))
    model.compile(keras.optimizers.Adam(0.01), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


@pytest.mark.slow  # ~20 s: the recurrent step is traced for each of the four fits
@pytest.mark.parametrize("seed", SEEDS)
def test_time_distributed_and_bidirectional_lstm(seed, tmp_path):
    x, y = standardized_digits()
    rows = x.reshape(-1, 8, 8)
    models = []

    def fit(model, callbacks, epochs=3):
        models.append(model)
        return model.fit(rows[:TRAIN_ROWS], y[:TRAIN_ROWS], validation_data=(rows[TRAIN_ROWS:], y[TRAIN_ROWS:]),
                         batch_size=32, epochs=epochs, verbose=0, callbacks=callbacks)

    diagnostics, _, (history,) = fit_both(_build, fit, seed)
    assert_learned(history, math.log(DIGIT_CLASSES))
    assert_healthy(diagnostics)
    # Both directions' recurrent cells are measured, and the gradient through time is probed.
    assert any(key.startswith("time_grad_growth/") for key in diagnostics.history)
    assert sum(key.startswith("grad_norm/") and "lstm" in key for key in diagnostics.history) == 2
    assert_saves_loads_and_fits_again(models[-1], rows[:64], lambda model, callbacks: fit(model, callbacks, epochs=1),
                                      tmp_path)
