"""Raw tabular features (sklearn's breast cancer data: 30 columns from about 1e-3 to 4e3)
standardized inside the model by a `Normalization` layer adapted to the training rows, as the
keras.io structured-data examples do: the inputs are not "unnormalized"."""

import math

import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer

import keras
from tests.clients._after_fit import assert_saves_loads_and_fits_again
from tests.clients._client import SEEDS, assert_healthy, assert_learned, fit_both, recording_fit

# Seconds a seed; CI runs the slow tier too (the default tier keeps the suite under ~8 minutes).
pytestmark = pytest.mark.slow

L = keras.layers
TRAIN_ROWS = 450


def _data(seed):
    data = load_breast_cancer()
    order = np.random.default_rng(seed).permutation(len(data.target))
    return data.data[order].astype("float32"), data.target[order].astype("float32")


def _build(x):
    normalize = L.Normalization(name="normalize")
    normalize.adapt(x[:TRAIN_ROWS])
    inputs = keras.Input((x.shape[1],))
    hidden = L.Dense(16, activation="relu", name="hidden")(normalize(inputs))
    model = keras.Model(inputs, L.Dense(1, activation="sigmoid", name="malignant")(hidden))
    model.compile(keras.optimizers.Adam(0.01), "binary_crossentropy")
    return model


@pytest.mark.parametrize("seed", SEEDS)
def test_raw_features_normalized_inside(seed, tmp_path):
    x, y = _data(seed)
    assert x.max() > 1000  # raw, as a user loads them
    models = []
    fit = recording_fit(models, x, y, TRAIN_ROWS)

    diagnostics, _, (history,) = fit_both(lambda: _build(x), fit, seed)
    assert_learned(history, math.log(2))
    assert_healthy(diagnostics)
    assert_saves_loads_and_fits_again(models[-1], x[:64], lambda model, callbacks: fit(model, callbacks, epochs=1),
                                      tmp_path)
