"""Stochastic weight averaging in fit: the averages are swapped in, batch-norm statistics redone."""

import keras
import numpy as np
import pytest

from callbacks.swa_batch_norm import SWABatchNormUpdate
from zoo.optimizers import SWA, update_batch_norm_statistics


def data():
    rng = np.random.default_rng(3)
    x = rng.normal(loc=2.0, scale=3.0, size=(48, 4)).astype("float32")
    return x, (x @ np.array([1.0, -1.0, 0.5, 2.0])[:, None]).astype("float32")


def bn_net():
    return keras.Sequential(
        [keras.Input((4,)), keras.layers.Dense(6, name="hidden"), keras.layers.BatchNormalization(name="norm"),
         keras.layers.Dense(1, name="out")],
        name="bn_net",
    )


class RecordWeights(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.after_step = []

    def on_train_batch_end(self, batch, logs=None):
        self.after_step.append([np.array(w) for w in self.model.trainable_weights])


def test_fit_ends_with_the_average_of_the_trajectory_and_fresh_batch_norm_statistics():
    x, y = data()
    model = bn_net()
    model.compile(SWA(keras.optimizers.SGD(0.01), start_averaging=2, average_period=3), "mse")
    recorder, recompute = RecordWeights(), SWABatchNormUpdate(x, batch_size=48)
    model.fit(x, y, epochs=3, batch_size=8, shuffle=False, verbose=0, callbacks=[recorder, recompute])

    # 18 steps; averaged after steps 2, 5, 8, 11, 14, 17 (1-based), i.e. indices 1, 4, ..., 16.
    taken = recorder.after_step[1::3]
    assert len(taken) == 6 and int(model.optimizer.num_averaged.numpy()) == 6
    for i, weight in enumerate(model.trainable_weights):
        np.testing.assert_allclose(np.array(weight), np.mean([w[i] for w in taken], axis=0), rtol=1e-5, atol=1e-6)

    # One batch of all the data: the moving statistics are exactly its statistics.
    norm = model.get_layer("norm")
    hidden = np.array(model.get_layer("hidden")(x))
    assert recompute.batches == 1
    np.testing.assert_allclose(np.array(norm.moving_mean), hidden.mean(axis=0), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(np.array(norm.moving_variance), hidden.var(axis=0), rtol=1e-3)


def test_batch_norm_statistics_are_the_plain_average_over_batches():
    x, _ = data()
    model = bn_net()
    assert update_batch_norm_statistics(model, x, batch_size=16) == 3
    hidden = np.array(model.get_layer("hidden")(x)).reshape(3, 16, -1)
    norm = model.get_layer("norm")
    np.testing.assert_allclose(np.array(norm.moving_mean), hidden.mean(axis=1).mean(axis=0), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(np.array(norm.moving_variance), hidden.var(axis=1).mean(axis=0), rtol=1e-3)
    assert norm.momentum == pytest.approx(0.99)  # restored


def test_no_swap_when_disabled_and_no_batch_norm_is_a_no_op():
    x, y = data()
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(SWA("sgd", average_period=1, swap_on_end=False), "mse")
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    averages = [np.array(v) for v in model.optimizer._averages]
    assert not np.allclose(averages[0], np.array(model.trainable_weights[0]))
    assert update_batch_norm_statistics(model, x) == 0
