"""`validation_split=0.2` (Keras holds out the last fifth of the arrays) with per-row
`sample_weight` given as an array."""

import math

import numpy as np
import pytest

from tests.clients._client import (DIGIT_CLASSES, SEEDS, assert_healthy, assert_learned, digits, digits_classifier,
                                   fit_both)


@pytest.mark.parametrize("seed", SEEDS)
def test_validation_split_with_sample_weight_array(seed):
    x, y = digits()
    weights = np.random.default_rng(seed).uniform(0.5, 1.5, size=len(y)).astype("float32")

    def fit(model, callbacks):
        return model.fit(x, y, sample_weight=weights, validation_split=0.2, batch_size=32, epochs=3, verbose=0,
                         callbacks=callbacks)

    diagnostics, _, (history,) = fit_both(digits_classifier, fit, seed)
    assert len(history["val_loss"]) == 3
    assert_learned(history, math.log(DIGIT_CLASSES))
    assert_healthy(diagnostics)
