"""Multi-label classification: 5 independent sigmoid outputs and binary cross-entropy, on labels
that are each positive for about half the rows (balanced: no class imbalance)."""

import math

import numpy as np
import pytest

import keras
from tests.clients._client import SEEDS, assert_learned, assert_unjudged_is_skipped, fit_both, kinds, skipped_monitors

L = keras.layers
LABELS = 5


def _data(seed, rows=1024):
    """Label k is whether feature k is positive: multi-hot rows, each label positive about half the time."""
    x = np.random.default_rng(seed).normal(size=(rows, 10)).astype("float32")
    return x, (x[:, :LABELS] > 0).astype("float32")


def _build():
    inputs = keras.Input((10,))
    hidden = L.Dense(32, activation="relu")(inputs)
    model = keras.Model(inputs, L.Dense(LABELS, activation="sigmoid")(hidden))
    model.compile(keras.optimizers.Adam(0.01), "binary_crossentropy")
    return model


@pytest.mark.parametrize("seed", SEEDS)
def test_multi_label_sigmoid_outputs(seed):
    x, y = _data(seed)
    assert np.all(np.abs(y.mean(axis=0) - 0.5) < 0.06)  # balanced labels

    def fit(model, callbacks):
        return model.fit(x[:896], y[:896], validation_data=(x[896:], y[896:]), batch_size=32, epochs=3, verbose=0,
                         callbacks=callbacks)

    diagnostics, _, (history,) = fit_both(_build, fit, seed, not_judged=["multi-label targets"])
    assert_learned(history, math.log(2))
    assert "class_imbalance" not in kinds(diagnostics)
    assert [str(finding) for finding in diagnostics.findings] == []
    # Labels that are not competing classes have no class balance to judge: said in skipped.
    assert skipped_monitors(diagnostics) <= {"ImbalanceMonitor"}
    assert_unjudged_is_skipped(diagnostics)
