"""Endless data: a repeated `tf.data.Dataset` and an infinite Python generator, each with
`steps_per_epoch`."""


import pytest
import tensorflow as tf

from tests.clients._client import SEEDS, assert_digits_fit_is_healthy, digits

STEPS = 40
BATCH = 32


@pytest.mark.parametrize("seed", SEEDS)
def test_repeated_dataset_with_steps_per_epoch(seed):
    x, y = digits()

    def fit(model, callbacks):
        train = tf.data.Dataset.from_tensor_slices((x[:1400], y[:1400])).shuffle(1400, seed=seed).batch(BATCH).repeat()
        return model.fit(train, steps_per_epoch=STEPS, validation_data=(x[1400:], y[1400:]), epochs=3, verbose=0,
                         callbacks=callbacks)

    assert_digits_fit_is_healthy(fit, seed)


@pytest.mark.parametrize("seed", SEEDS)
def test_infinite_python_generator(seed):
    x, y = digits()

    def batches():
        while True:
            for start in range(0, 1400 - BATCH + 1, BATCH):
                yield x[start:start + BATCH], y[start:start + BATCH]

    def fit(model, callbacks):
        return model.fit(batches(), steps_per_epoch=STEPS, validation_data=(x[1400:], y[1400:]), epochs=3, verbose=0,
                         callbacks=callbacks)

    assert_digits_fit_is_healthy(fit, seed)
