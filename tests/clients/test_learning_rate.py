"""Learning rates that change during `fit`: a schedule object, and `ReduceLROnPlateau` with
`LearningRateScheduler` beside the diagnostics."""

import math

import pytest

import keras
from tests.clients._client import (DIGIT_CLASSES, SEEDS, assert_healthy, assert_learned, digits, digits_classifier,
                                   fit_both)


def _fit(model, callbacks):
    x, y = digits()
    return model.fit(x[:1400], y[:1400], validation_data=(x[1400:], y[1400:]), batch_size=32, epochs=3,
                     verbose=0, callbacks=callbacks)


@pytest.mark.parametrize("seed", SEEDS)
def test_exponential_decay_schedule(seed):
    def build():
        schedule = keras.optimizers.schedules.ExponentialDecay(0.01, decay_steps=20, decay_rate=0.8)
        return digits_classifier(keras.optimizers.Adam(schedule))

    diagnostics, _, (history,) = fit_both(build, _fit, seed)
    assert_learned(history, math.log(DIGIT_CLASSES))
    assert_healthy(diagnostics)


@pytest.mark.parametrize("seed", SEEDS)
def test_reduce_lr_on_plateau_and_a_scheduler_callback(seed):
    models = []

    def fit(model, callbacks):
        # min_delta=1 makes every epoch after the first a plateau, so the rate is really reduced.
        adjusters = [keras.callbacks.LearningRateScheduler(lambda epoch, rate: rate * 0.9),
                     keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=0, min_delta=1.0)]
        models.append(model)
        return _fit(model, adjusters + callbacks)

    diagnostics, _, (history,) = fit_both(digits_classifier, fit, seed)
    for model in models:
        assert float(model.optimizer.learning_rate) == pytest.approx(0.01 * 0.9**3 * 0.5**2)
    assert_learned(history, math.log(DIGIT_CLASSES))
    assert_healthy(diagnostics)
