"""A loss added inside a layer: `Dense(activity_regularizer=L2)`, whose penalty Keras adds with
`add_loss` at every call. The penalty depends on the batch and exists only inside the traced step:
GeneralizationMonitor reads it by a forward pass over the probe's kept training rows, nothing is
left unjudged, and the run is healthy."""

import math

import pytest

import keras
from tests.clients._after_fit import assert_saves_loads_and_fits_again
from tests.clients._client import (DIGIT_CLASSES, SEEDS, assert_healthy, assert_learned, digits, fit_both,
                                   logits_classifier, recording_fit)

L = keras.layers
TRAIN_ROWS = 1400


def _build():
    inputs = keras.Input((64,))
    hidden = L.Dense(32, activation="relu", activity_regularizer=keras.regularizers.L2(1e-4), name="hidden")(inputs)
    return logits_classifier(inputs, hidden)


@pytest.mark.parametrize("seed", SEEDS)
def test_activity_regularizer_adds_a_loss_in_the_layer(seed, tmp_path):
    models, (x, y) = [], digits()
    fit = recording_fit(models, x, y, TRAIN_ROWS)
    diagnostics, _, (history,) = fit_both(_build, fit, seed)
    # The penalty read is a small positive share of each epoch's loss (L2 of 1e-4 on 32 ReLU outputs).
    penalties = diagnostics.run()["extras"]["GeneralizationMonitor"]["regularization_loss"]
    assert len(penalties) == len(history["loss"])
    assert all(0 < penalty < 0.1 * loss for penalty, loss in zip(penalties, history["loss"]))
    assert_learned(history, math.log(DIGIT_CLASSES))
    assert_healthy(diagnostics)
    assert_saves_loads_and_fits_again(models[-1], x[:64], lambda model, callbacks: fit(model, callbacks, epochs=1),
                                      tmp_path)
