"""A `keras.utils.PyDataset` subclass as `x` (read by one worker thread), as Keras' guide on data
loading writes one: batches built in Python, one `__getitem__` per step."""

import math

import pytest

import keras
from tests.clients._after_fit import assert_saves_loads_and_fits_again
from tests.clients._client import (DIGIT_CLASSES, SEEDS, assert_healthy, assert_learned, digits, digits_classifier,
                                   fit_both, recorded)

# Seconds a seed; CI runs the slow tier too (the default tier keeps the suite under ~8 minutes).
pytestmark = pytest.mark.slow

BATCH = 32
TRAIN_ROWS = 1400


class DigitBatches(keras.utils.PyDataset):
    """The first `TRAIN_ROWS` digits in batches of `BATCH` (the last one shorter)."""

    def __init__(self, x, y, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y = x, y

    def __len__(self):
        return math.ceil(len(self.x) / BATCH)

    def __getitem__(self, index):
        rows = slice(index * BATCH, (index + 1) * BATCH)
        return self.x[rows], self.y[rows]


@pytest.mark.parametrize("seed", SEEDS)
def test_py_dataset_with_one_worker(seed, tmp_path):
    x, y = digits()
    models = []
    fit = recorded(models, lambda model, callbacks, epochs: model.fit(
        DigitBatches(x[:TRAIN_ROWS], y[:TRAIN_ROWS], workers=1), validation_data=(x[TRAIN_ROWS:], y[TRAIN_ROWS:]),
        epochs=epochs, verbose=0, callbacks=callbacks))

    diagnostics, _, (history,) = fit_both(digits_classifier, fit, seed)
    assert_learned(history, math.log(DIGIT_CLASSES))
    assert_healthy(diagnostics)
    assert_saves_loads_and_fits_again(models[-1], x[:64], lambda model, callbacks: fit(model, callbacks, epochs=1),
                                      tmp_path)
