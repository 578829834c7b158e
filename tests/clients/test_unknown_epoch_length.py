"""Data whose epoch length Keras does not know in advance: a Python generator without
`steps_per_epoch` (one pass, then it is exhausted), and a `tf.data` pipeline from a generator
(unknown cardinality, so Keras learns the epoch's length at the end of the first)."""

import math

import pytest
import tensorflow as tf

from tests.clients._client import (DIGIT_CLASSES, SEEDS, assert_healthy, assert_learned, digits, digits_classifier,
                                   fit_both)

BATCH = 32
TRAIN_ROWS = 1400


def _batches(x, y):
    for start in range(0, TRAIN_ROWS, BATCH):
        yield x[start:start + BATCH], y[start:start + BATCH]


@pytest.mark.parametrize("seed", SEEDS)
def test_python_generator_without_steps_per_epoch(seed):
    x, y = digits()

    def fit(model, callbacks):
        # One epoch per `fit`, as a generator holds one pass: a user calls `fit` once per pass.
        return [model.fit(_batches(x, y), validation_data=(x[TRAIN_ROWS:], y[TRAIN_ROWS:]), verbose=0,
                          callbacks=callbacks) for _ in range(2)]

    diagnostics, _, (_, second) = fit_both(digits_classifier, fit, seed)
    assert_learned(second, math.log(DIGIT_CLASSES))
    assert_healthy(diagnostics)


@pytest.mark.parametrize("seed", SEEDS)
def test_dataset_of_unknown_cardinality(seed):
    x, y = digits()

    def fit(model, callbacks):
        train = tf.data.Dataset.from_generator(lambda: _batches(x, y), output_signature=(
            tf.TensorSpec([None, 64], tf.float32), tf.TensorSpec([None], tf.int32)))
        assert train.cardinality() == tf.data.UNKNOWN_CARDINALITY
        return model.fit(train, validation_data=(x[TRAIN_ROWS:], y[TRAIN_ROWS:]), epochs=3, verbose=0,
                         callbacks=callbacks)

    diagnostics, _, (history,) = fit_both(digits_classifier, fit, seed)
    assert len(history["loss"]) == 3
    assert_learned(history, math.log(DIGIT_CLASSES))
    assert_healthy(diagnostics)
