"""Images as uint8 pixels, scaled inside the model by a first `Rescaling(1/255)` layer, into a
small CNN; the training set holds one row more than a multiple of the batch size, so every epoch
ends with a batch of one row."""

import math

import numpy as np
import pytest

import keras
from tests.clients._after_fit import assert_saves_loads_and_fits_again
from tests.clients._client import (DIGIT_CLASSES, SEEDS, assert_healthy, assert_learned, digits, fit_both,
                                   logits_classifier, recorded)

# Seconds a seed; CI runs the slow tier too (the default tier keeps the suite under ~8 minutes).
pytestmark = pytest.mark.slow

L = keras.layers
BATCH = 32
TRAIN_ROWS = BATCH * 40 + 1


def _images():
    x, y = digits()
    return np.round(x * 255).astype("uint8").reshape(-1, 8, 8, 1), y


def _build():
    inputs = keras.Input((8, 8, 1), dtype="uint8")
    features = L.Conv2D(8, 3, activation="relu", name="conv")(L.Rescaling(1 / 255)(inputs))
    hidden = L.Dense(32, activation="relu", name="hidden")(L.Flatten()(features))
    return logits_classifier(inputs, hidden)


@pytest.mark.parametrize("seed", SEEDS)
def test_uint8_pixels_rescaled_inside_with_a_last_batch_of_one(seed, tmp_path):
    x, y = _images()
    assert TRAIN_ROWS % BATCH == 1
    models = []
    fit = recorded(models, lambda model, callbacks, epochs: model.fit(
        x[:TRAIN_ROWS], y[:TRAIN_ROWS], validation_data=(x[1400:], y[1400:]), batch_size=BATCH, epochs=epochs,
        verbose=0, callbacks=callbacks))

    diagnostics, _, (history,) = fit_both(_build, fit, seed)
    assert_learned(history, math.log(DIGIT_CLASSES))
    assert_healthy(diagnostics)  # no unnormalized_input: the model scales its pixels itself
    assert_saves_loads_and_fits_again(models[-1], x[:64], lambda model, callbacks: fit(model, callbacks, epochs=1),
                                      tmp_path)
