"""Mixed precision: `keras.mixed_precision.set_global_policy("mixed_float16")` before the model is
built (Keras then wraps the optimizer in a `LossScaleOptimizer`), restored afterwards."""

import math

import pytest

import keras
from tests.clients._client import DIGIT_CLASSES, SEEDS, assert_healthy, assert_learned, digits, fit_both

L = keras.layers


@pytest.fixture
def mixed_float16():
    previous = keras.mixed_precision.global_policy().name
    keras.mixed_precision.set_global_policy("mixed_float16")
    yield
    keras.mixed_precision.set_global_policy(previous)


def _build():
    inputs = keras.Input((64,))
    hidden = L.Dense(32, activation="relu")(inputs)
    logits = L.Dense(DIGIT_CLASSES)(hidden)
    model = keras.Model(inputs, L.Activation("linear", dtype="float32")(logits))
    model.compile(keras.optimizers.Adam(0.01), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    return model


@pytest.mark.parametrize("seed", SEEDS)
def test_mixed_float16(mixed_float16, seed):
    x, y = digits()

    def fit(model, callbacks):
        return model.fit(x[:1400], y[:1400], validation_data=(x[1400:], y[1400:]), batch_size=32, epochs=3,
                         verbose=0, callbacks=callbacks)

    diagnostics, _, (history,) = fit_both(_build, fit, seed)
    assert_learned(history, math.log(DIGIT_CLASSES))
    assert_healthy(diagnostics)
