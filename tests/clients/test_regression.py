"""Regression on standardized targets with the mean squared error, from a `Sequential` model."""

import numpy as np
import pytest

import keras
from tests.clients._client import SEEDS, assert_learned, assert_unjudged_is_skipped, fit_both, skipped_monitors

L = keras.layers


def _data(seed, rows=1024):
    """A noisy linear target of 8 features, standardized (so the loss of predicting 0 is 1)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(rows, 8))
    y = x @ rng.normal(size=8) + 0.1 * rng.normal(size=rows)
    return x.astype("float32"), ((y - y.mean()) / y.std()).astype("float32")


def _build():
    model = keras.Sequential([keras.Input((8,)), L.Dense(32, activation="relu"), L.Dense(1)])
    model.compile(keras.optimizers.Adam(0.01), "mse")
    return model


@pytest.mark.parametrize("seed", SEEDS)
def test_standardized_regression(seed):
    x, y = _data(seed)

    def fit(model, callbacks):
        return model.fit(x[:896], y[:896], validation_data=(x[896:], y[896:]), batch_size=32, epochs=3, verbose=0,
                         callbacks=callbacks)

    diagnostics, _, (history,) = fit_both(_build, fit, seed)
    assert_learned(history, chance_loss=1.0, fraction=0.1)
    assert [str(finding) for finding in diagnostics.findings] == []
    # Class counts do not apply to a regression: ImbalanceMonitor may say so, nothing else is skipped.
    assert skipped_monitors(diagnostics) <= {"ImbalanceMonitor"}
    assert_unjudged_is_skipped(diagnostics, not_applicable={"ImbalanceMonitor"})
