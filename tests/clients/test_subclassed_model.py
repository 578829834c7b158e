"""A subclassed model, as Keras' "making new layers and models via subclassing" guide writes one:
layers made in `__init__`, joined in `call`, with Keras' own `train_step`. It has no functional
graph, so the check of its outputs against the loss says it did not judge them; the rest is
judged and healthy."""

import math

import pytest

import keras
from tests.clients._client import (DIGIT_CLASSES, SEEDS, assert_learned, assert_unjudged_is_skipped, digits, fit_both,
                                   skipped_monitors)

L = keras.layers
TRAIN_ROWS = 1400
NO_GRAPH = "a subclassed model has no graph to read"


class DigitNet(keras.Model):
    """64 pixels, a hidden ReLU layer of 32 units, 10 logits."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = L.Dense(32, activation="relu", name="hidden")
        self.logits = L.Dense(DIGIT_CLASSES, name="logits")

    def call(self, inputs):
        return self.logits(self.hidden(inputs))


def _build():
    model = DigitNet()
    model.compile(keras.optimizers.Adam(0.01), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


@pytest.mark.parametrize("seed", SEEDS)
def test_subclassed_model_with_keras_train_step(seed):
    x, y = digits()

    def fit(model, callbacks):
        return model.fit(x[:TRAIN_ROWS], y[:TRAIN_ROWS], validation_data=(x[TRAIN_ROWS:], y[TRAIN_ROWS:]),
                         batch_size=32, epochs=3, verbose=0, callbacks=callbacks)

    diagnostics, _, (history,) = fit_both(_build, fit, seed, not_judged=[NO_GRAPH])
    assert_learned(history, math.log(DIGIT_CLASSES))
    assert [str(finding) for finding in diagnostics.findings] == []
    assert skipped_monitors(diagnostics) == {"SetupMonitor"}
    assert_unjudged_is_skipped(diagnostics)
    # The layers it made in __init__ are measured like any others.
    assert {"grad_norm/hidden", "grad_norm/logits", "dead_frac/hidden"} <= set(diagnostics.history)
