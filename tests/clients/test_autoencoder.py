"""An autoencoder: the inputs are the targets (the digits' pixels, continuous values in [0, 1]),
a sigmoid output and binary cross-entropy. Its targets are no labels, so class balance is not a
question for this run: no warning, and a plain note in `skipped`. Multi-hot 0/1 targets under the
same loss stay multi-label, with their warning (`test_multi_label.py`)."""

import warnings

import pytest

import keras
from callbacks._guard import NotJudgedWarning
from tests.clients._client import SEEDS, assert_unjudged_is_skipped, digits, fit_both

TRAIN_ROWS = 1400


def _autoencoder():
    inputs = keras.Input((64,))
    code = keras.layers.Dense(16, activation="relu", name="code")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(64, activation="sigmoid", name="pixels")(code))
    model.compile(keras.optimizers.Adam(0.01), "binary_crossentropy")
    return model


@pytest.mark.parametrize("seed", SEEDS)
def test_an_autoencoder_on_pixels_is_not_asked_for_class_balance(seed):
    x, _ = digits()

    def fit(model, callbacks):
        return model.fit(x[:TRAIN_ROWS], x[:TRAIN_ROWS], validation_data=(x[TRAIN_ROWS:], x[TRAIN_ROWS:]),
                         batch_size=32, epochs=3, verbose=0, callbacks=callbacks)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        diagnostics, _, (history,) = fit_both(_autoencoder, fit, seed)
    assert [str(w.message) for w in caught if issubclass(w.category, NotJudgedWarning)] == []
    assert history["loss"][-1] < 0.8 * history["loss"][0]
    assert [str(finding) for finding in diagnostics.findings] == []
    [note] = diagnostics.skipped
    assert (note.monitor, note.hook) == ("ImbalanceMonitor", "not_judged")
    assert note.reason.startswith("class balance does not apply: the targets are not labels")
    assert "multi-label" not in note.reason
    assert_unjudged_is_skipped(diagnostics)
