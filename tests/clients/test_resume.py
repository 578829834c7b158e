"""Training in several `fit` calls: fit twice on one model, and resume with `initial_epoch`."""

import math

import pytest

import keras
from tests.clients._client import (DIGIT_CLASSES, SEEDS, assert_healthy, assert_learned, digits, digits_classifier,
                                   fit_both)


def _build():
    # A rate that keeps converging over four epochs (Adam's 0.01 swings, as it should be told, once
    # the loss is near its floor).
    return digits_classifier(keras.optimizers.Adam(0.003))


def _fit(model, callbacks, **kwargs):
    x, y = digits()
    return model.fit(x[:1400], y[:1400], validation_data=(x[1400:], y[1400:]), batch_size=32, verbose=0,
                     callbacks=callbacks, **kwargs)


@pytest.mark.parametrize("seed", SEEDS)
def test_fit_twice_with_one_callback(seed):
    def fit(model, callbacks):
        return [_fit(model, callbacks, epochs=2), _fit(model, callbacks, epochs=2)]

    diagnostics, _, (_, second) = fit_both(_build, fit, seed)
    assert_learned(second, math.log(DIGIT_CLASSES))
    assert len(diagnostics.history["loss"]) == 2  # the second fit is a run of its own
    assert_healthy(diagnostics)


@pytest.mark.parametrize("seed", SEEDS)
def test_resume_with_initial_epoch(seed):
    def fit(model, callbacks):
        return [_fit(model, callbacks, epochs=2), _fit(model, callbacks, epochs=4, initial_epoch=2)]

    diagnostics, _, (_, resumed) = fit_both(_build, fit, seed)
    assert len(resumed["loss"]) == 2
    assert_learned(resumed, math.log(DIGIT_CLASSES))
    assert_healthy(diagnostics)
