"""Dropout of half of a model's few input features: training rows lose what classifies them, and
inference meets whole rows it never trained on. A setup hypothesis that the run confirms (the
validation loss climbs from the start, or the loss stays high), leading what it explains."""

import keras
import numpy as np
import pytest
from sklearn.datasets import make_circles

from diagnostics.findings import NEEDS_CONSEQUENCE
from diagnostics.setup_model import MAX_INPUT_DROPOUT, check_model
from tests.diagnostics._diagnosed_fit import SEEDS_SLOW_AFTER_FIRST, fit_under_diagnostics

L = keras.layers


def _input_dropout(model):
    return [(f.layer, f.evidence["input_dropout"]) for f in check_model(model) if "input_dropout" in f.evidence]


def test_only_dropout_right_on_an_input_above_a_fifth_is_named():
    inputs = keras.Input((4,))
    hidden = L.Dense(8, activation="relu")(L.Dropout(0.4, name="on_input")(inputs))
    functional = keras.Model(inputs, L.Dense(2, activation="softmax")(L.Dropout(0.5, name="hidden")(hidden)))
    assert _input_dropout(functional) == [("on_input", 0.4)]
    [finding] = [f for f in check_model(functional) if "input_dropout" in f.evidence]
    assert finding.evidence[NEEDS_CONSEQUENCE]
    sequential = keras.Sequential([keras.Input((4,)), L.Dropout(MAX_INPUT_DROPOUT), L.Dense(2)])
    assert _input_dropout(sequential) == []


def _fit(rate, seed):
    x, y = make_circles(1500, noise=0.08, factor=0.5, random_state=seed)
    x = ((x - x.mean(0)) / x.std(0)).astype("float32")
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((2,)), L.Dropout(rate, name="input_dropout"),
                              L.Dense(32, activation="relu"), L.Dense(32, activation="relu"),
                              L.Dense(2, activation="softmax")])
    model.compile(keras.optimizers.Adam(3e-3), "sparse_categorical_crossentropy", metrics=["accuracy"])
    history, diagnostics = fit_under_diagnostics(model, x[:1200], y[:1200], validation_data=(x[1200:], y[1200:]),
                                                 epochs=12, batch_size=32)
    return history, diagnostics.findings


@pytest.mark.parametrize("seed", SEEDS_SLOW_AFTER_FIRST)
def test_half_of_two_features_dropped_leads_with_the_rate_lowered(seed):
    history, findings = _fit(0.5, seed)
    healthy_history, healthy = _fit(0.1, seed)
    assert history["val_accuracy"][-1] < healthy_history["val_accuracy"][-1] - 0.05  # the harm it does
    lead = findings[0]
    assert (lead.kind, lead.layer) == ("suspicious_config", "input_dropout")
    assert (lead.remedies[0].action, lead.remedies[0].target, lead.remedies[0].params) == (
        "set_dropout", "input_dropout", {"rate": MAX_INPUT_DROPOUT})
    assert healthy == []
