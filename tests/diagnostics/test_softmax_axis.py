"""A softmax taken over the batch axis (`Softmax(axis=0)`): a fact of the graph, an error that
leads, and its remedy gives rows that sum to one."""

import keras
import numpy as np
import pytest

from diagnostics import check_setup
from diagnostics.remedies import describe_setup, remedies_for
from diagnostics.remedy_edits import apply_remedies
from tests.diagnostics._diagnosed_fit import fit_under_diagnostics, scaled_digits

L = keras.layers


def _classifier(axis):
    model = keras.Sequential([keras.Input((64,)), L.Dense(32, activation="relu"), L.Dense(10),
                              L.Softmax(axis=axis, name="probabilities")])
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    return model


@pytest.mark.parametrize("axis, found", [(0, True), ([0], True), (-2, True), (-1, False), (1, False)])
def test_an_output_softmax_over_the_batch_is_an_error(axis, found):
    findings = check_setup(_classifier(axis))
    assert [(f.kind, f.severity, f.layer) for f in findings] == (
        [("output_loss_mismatch", "error", "probabilities")] if found else [])


def test_a_hidden_softmax_over_the_batch_is_a_config_error():
    inputs = keras.Input((64,))
    hidden = L.Softmax(axis=0, name="mixing")(L.Dense(16)(inputs))
    model = keras.Model(inputs, L.Dense(10, activation="softmax")(hidden))
    assert [(f.kind, f.layer) for f in check_setup(model)] == [("suspicious_config", "mixing")]


def test_its_remedy_gives_probabilities_per_row():
    model = _classifier(0)
    finding = check_setup(model)[0]
    remedy = remedies_for(finding, describe_setup(model))[0]
    edited = apply_remedies(model, [remedy]).model
    x = np.random.default_rng(0).normal(size=(7, 64)).astype("float32")
    rows = edited.predict(x, verbose=0)
    np.testing.assert_allclose(rows.sum(axis=1), np.ones(7), rtol=1e-5)
    logits = keras.Model(model.inputs, model.layers[-2].output).predict(x, verbose=0)  # the same kept weights
    expected = np.exp(logits - logits.max(axis=1, keepdims=True))
    np.testing.assert_allclose(rows, expected / expected.sum(axis=1, keepdims=True), rtol=1e-4, atol=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_fit_with_it_leads_with_it_and_its_twin_is_healthy(seed):
    x, y = scaled_digits()
    for axis, expected in ((0, ["output_loss_mismatch"]), (-1, [])):
        keras.utils.set_random_seed(seed)
        model = _classifier(axis)
        _, diagnostics = fit_under_diagnostics(model, x[:1400], y[:1400], epochs=6, batch_size=32,
                                               validation_data=(x[1400:], y[1400:]))
        assert [f.kind for f in diagnostics.findings][:1] == expected
