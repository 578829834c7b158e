"""`fit` arguments that change what a step or an epoch holds: `validation_freq`, `class_weight`,
and sample weights that a `tf.data` pipeline yields."""

import math

import numpy as np
import pytest
import tensorflow as tf

from tests.clients._client import (DIGIT_CLASSES, SEEDS, assert_digits_fit_is_healthy, assert_healthy,
                                   assert_learned, digits, digits_classifier, fit_both)


@pytest.mark.parametrize("seed", SEEDS)
def test_validation_every_second_epoch(seed, capsys):
    x, y = digits()

    def fit(model, callbacks):
        return model.fit(x[:1400], y[:1400], validation_data=(x[1400:], y[1400:]), validation_freq=2, batch_size=32,
                         epochs=4, verbose=0, callbacks=callbacks)

    diagnostics, _, (history,) = fit_both(digits_classifier, fit, seed)
    assert len(history["val_loss"]) == 2
    assert_learned(history, math.log(DIGIT_CLASSES))
    assert_healthy(diagnostics)
    assert "not in the logs" not in capsys.readouterr().out


@pytest.mark.parametrize("seed", SEEDS)
def test_class_weight(seed):
    x, y = digits()
    weights = {label: 1.0 + label / 10 for label in range(DIGIT_CLASSES)}

    def fit(model, callbacks):
        return model.fit(x[:1400], y[:1400], validation_data=(x[1400:], y[1400:]), class_weight=weights,
                         batch_size=32, epochs=3, verbose=0, callbacks=callbacks)

    assert_digits_fit_is_healthy(fit, seed)


@pytest.mark.parametrize("seed", SEEDS)
def test_sample_weights_from_tf_data(seed):
    x, y = digits()
    weights = np.random.default_rng(seed).uniform(0.5, 1.5, size=len(y)).astype("float32")

    def fit(model, callbacks):
        train = tf.data.Dataset.from_tensor_slices((x[:1400], y[:1400], weights[:1400])).batch(32)
        validation = tf.data.Dataset.from_tensor_slices((x[1400:], y[1400:], weights[1400:])).batch(64)
        return model.fit(train, validation_data=validation, epochs=3, verbose=0, callbacks=callbacks)

    assert_digits_fit_is_healthy(fit, seed)
