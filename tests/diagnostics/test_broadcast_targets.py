"""Targets of another shape per row than the predictions, which a regression or binary loss
broadcasts instead of refusing (per-step targets for one prediction, class ids for four softmax
units), and a Poisson loss on an output that can go below zero: errors named before any step."""

import keras
import numpy as np
import pytest

from diagnostics import check_setup
from diagnostics.remedies import describe_setup, remedies_for

L = keras.layers
RNG = np.random.default_rng(0)
STEPS = RNG.normal(size=(64, 20, 3)).astype("float32")
FEATURES = RNG.normal(size=(64, 8)).astype("float32")
IDS = RNG.integers(0, 4, (64, 1)).astype("float32")


def _compiled(model, loss):
    model.compile("adam", loss)
    return model


def _lstm(return_sequences):
    return keras.Sequential([keras.Input((20, 3)), L.LSTM(8, return_sequences=return_sequences), L.Dense(1)])


def _shapes(model, x, y):
    return [(f.kind, f.evidence["target_shape"], f.evidence["output_shape"])
            for f in check_setup(model, x, y) if "target_shape" in f.evidence]


@pytest.mark.parametrize("build, loss, x, y, expected", [
    (lambda: _lstm(False), "mse", STEPS, np.cumsum(STEPS[..., :1], axis=1), [[20, 1], [1]]),
    (lambda: _lstm(True), "mse", STEPS, np.cumsum(STEPS[..., :1], axis=1), None),
    (lambda: keras.Sequential([keras.Input((8,)), L.Dense(4, activation="softmax")]), "mse", FEATURES, IDS,
     [[1], [4]]),
    (lambda: keras.Sequential([keras.Input((8,)), L.Dense(4, activation="sigmoid")]), "binary_crossentropy",
     FEATURES, IDS[:, 0] > 1, [[], [4]]),
    (lambda: keras.Sequential([keras.Input((8,)), L.Dense(1)]), "mse", FEATURES, IDS[:, 0], None),   # (n,) to (n, 1)
    (lambda: keras.Sequential([keras.Input((8,)), L.Dense(4, activation="softmax")]),
     "sparse_categorical_crossentropy", FEATURES, IDS, None),                                       # ids are its format
], ids=["lstm_one_output", "lstm_per_step", "softmax_mse_ids", "four_sigmoids_one_label", "squeezed", "sparse"])
def test_targets_a_loss_broadcasts_against_the_predictions_are_an_error(build, loss, x, y, expected):
    found = _shapes(_compiled(build(), loss), x, y)
    assert found == ([] if expected is None else [("output_loss_mismatch", *expected)])


def test_the_broadcast_is_what_keras_computes():
    # What the finding claims, measured: Keras scores one prediction per row against all 20 steps.
    model = _compiled(_lstm(False), "mse")
    y = np.cumsum(STEPS[..., :1], axis=1)
    predicted = np.asarray(model(STEPS))
    expected = np.mean((y[..., 0] - predicted) ** 2)
    assert model.evaluate(STEPS, y, verbose=0) == pytest.approx(expected, rel=1e-4)


def test_class_ids_under_mse_on_a_softmax_get_the_sparse_loss_first():
    model = _compiled(keras.Sequential([keras.Input((8,)), L.Dense(4, activation="softmax", name="out")]), "mse")
    [finding] = [f for f in check_setup(model, FEATURES, IDS) if "target_shape" in f.evidence]
    remedies = remedies_for(finding, describe_setup(model))
    assert (remedies[0].action, remedies[0].params) == ("set_loss", {"loss": "sparse_categorical_crossentropy"})


@pytest.mark.parametrize("activation, found", [(None, True), ("tanh", True), ("exponential", False),
                                               ("softplus", False)])
def test_a_poisson_loss_on_an_output_that_can_go_below_zero_is_an_error(activation, found):
    model = _compiled(keras.Sequential([keras.Input((8,)), L.Dense(1, activation=activation, name="rate")]),
                      "poisson")
    findings = [f for f in check_setup(model) if "unbounded_rate_output" in f.evidence]
    assert [(f.kind, f.severity) for f in findings] == ([("output_loss_mismatch", "error")] if found else [])
    if found:
        assert remedies_for(findings[0], describe_setup(model))[0].params == {"activation": "exponential"}
