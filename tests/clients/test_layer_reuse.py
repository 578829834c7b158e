"""Functional graphs that reuse what they hold: one Dense layer called twice in a row (shared
weights, two nodes), and a `Sequential` model nested inside a functional one as a layer, its
output joined to an earlier layer's by a skip connection."""

import math

import pytest

import keras
from tests.clients._after_fit import assert_saves_loads_and_fits_again
from tests.clients._client import DIGIT_CLASSES, SEEDS, assert_healthy, assert_learned, digits, fit_both, recording_fit

# Seconds a seed; CI runs the slow tier too (the default tier keeps the suite under ~8 minutes).
pytestmark = pytest.mark.slow

L = keras.layers
TRAIN_ROWS = 1400


def _compile(inputs, outputs):
    model = keras.Model(inputs, outputs)
    model.compile(keras.optimizers.Adam(0.01), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _layer_called_twice():
    inputs = keras.Input((64,))
    twice = L.Dense(32, activation="relu", name="twice")
    hidden = twice(twice(L.Dense(32, activation="relu", name="first")(inputs)))
    return _compile(inputs, L.Dense(DIGIT_CLASSES, name="logits")(hidden))


def _nested_sequential():
    inputs = keras.Input((64,))
    first = L.Dense(32, activation="relu", name="first")(inputs)
    block = keras.Sequential([keras.Input((32,)), L.Dense(32, activation="relu", name="inner_1"),
                              L.Dense(32, activation="relu", name="inner_2")], name="block")
    joined = L.Add(name="skip")([first, block(first)])
    return _compile(inputs, L.Dense(DIGIT_CLASSES, name="logits")(joined))


@pytest.mark.parametrize("build", [_layer_called_twice, _nested_sequential], ids=["called_twice", "nested"])
@pytest.mark.parametrize("seed", SEEDS)
def test_reused_layers(build, seed, tmp_path):
    x, y = digits()
    models = []
    fit = recording_fit(models, x, y, TRAIN_ROWS)

    diagnostics, _, (history,) = fit_both(build, fit, seed)
    assert_learned(history, math.log(DIGIT_CLASSES))
    assert_healthy(diagnostics)
    assert_saves_loads_and_fits_again(models[-1], x[:64], lambda model, callbacks: fit(model, callbacks, epochs=1),
                                      tmp_path)
