"""A `tf.data` pipeline as the performance guide writes one: `.cache()`, re-batched with
`.unbatch().shuffle().batch()`, and `.prefetch(AUTOTUNE)`."""

import math

import pytest
import tensorflow as tf

from tests.clients._client import (DIGIT_CLASSES, SEEDS, assert_healthy, assert_learned, digits, digits_classifier,
                                   fit_both)

TRAIN_ROWS = 1400


@pytest.mark.parametrize("seed", SEEDS)
def test_cached_rebatched_prefetched_dataset(seed):
    x, y = digits()

    def fit(model, callbacks):
        train = (tf.data.Dataset.from_tensor_slices((x[:TRAIN_ROWS], y[:TRAIN_ROWS])).batch(50).cache()
                 .unbatch().shuffle(TRAIN_ROWS, seed=seed).batch(32).prefetch(tf.data.AUTOTUNE))
        validation = (tf.data.Dataset.from_tensor_slices((x[TRAIN_ROWS:], y[TRAIN_ROWS:])).batch(64).cache()
                      .prefetch(tf.data.AUTOTUNE))
        return model.fit(train, validation_data=validation, epochs=3, verbose=0, callbacks=callbacks)

    diagnostics, _, (history,) = fit_both(digits_classifier, fit, seed)
    assert_learned(history, math.log(DIGIT_CLASSES))
    assert_healthy(diagnostics)
