"""`ProbeSchedule` and the ActivationMonitor probe that it spaces out: decided from counts, never
from the clock."""

import doctest
import time

import keras
import numpy as np
import pytest
import tensorflow as tf

from callbacks import _probe_schedule
from callbacks._probe_schedule import ProbeSchedule
from callbacks.activation_monitor import ActivationMonitor

# The fits below: 64 rows in batches of 32 (2 steps an epoch), probed on all 64 rows. Estimated
# share 64 / (3 * 2 * 32) = 1/3 of an epoch; at 2% a probe every ceil(1/3 / 0.02) = 17 epochs.
ROWS, BATCH, EPOCHS = 64, 32, 40
EXPECTED_EVERY = 17
EXPECTED_PROBED = list(range(16)) + [17, 34, 39]  # the first 16, every 17th, the last


def test_the_period_keeps_the_estimated_share_within_the_target():
    schedule = ProbeSchedule(share=0.02, first_epochs=16)
    # 256 probe rows against 10 steps of 32 rows, 3 passes each: 256 / 960 = 26.7%; / 2% = 13.3.
    assert schedule.every(256, 10) == 14
    # 256 steps (the long epochs): 256 / 24,576 = 1.04%: every epoch.
    assert schedule.every(256, 256) == 1
    # At most 2% exactly: 192 rows against 100 steps is 192 / 9,600 = 2.0%.
    assert schedule.every(192, 100) == 1 and schedule.every(193, 100) == 2
    assert schedule.every(ROWS, ROWS // BATCH) == EXPECTED_EVERY
    assert ProbeSchedule(share=0.04).every(256, 10) == 7  # 26.7% / 4% = 6.7


def test_the_first_epochs_and_the_last_are_probed_and_every_period_between():
    schedule = ProbeSchedule(share=0.02, first_epochs=3)
    due = [epoch for epoch in range(30) if schedule.due(epoch, 256, 10, last=epoch == 29)]
    assert due == [0, 1, 2, 14, 28, 29]
    assert [schedule.due(epoch, 256, 256) for epoch in range(5)] == [True] * 5


def test_the_module_examples_hold():
    assert doctest.testmod(_probe_schedule).failed == 0


def _features():
    return np.random.default_rng(0).standard_normal((ROWS, 4)).astype("float32")


def _fit(callbacks, dataset=None):
    """Fits a small ReLU classifier for `EPOCHS` epochs on `_features()` in batches of `BATCH`
    (or on `dataset`); returns Keras' `History`."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu", name="hidden"),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    if dataset is None:
        return model.fit(_features(), np.zeros(ROWS, "int32"), batch_size=BATCH, epochs=EPOCHS, verbose=0,
                         callbacks=callbacks)
    return model.fit(dataset, epochs=EPOCHS, verbose=0, shuffle=False, callbacks=callbacks)


def test_the_same_fit_probes_the_same_epochs_on_a_machine_100_times_slower(monkeypatch):
    """The schedule must not read the clock: a fit on a loaded machine (here every
    `time.perf_counter` reading 100 times later) probes exactly the epochs it probes otherwise."""
    runs = []
    for slowdown in (1.0, 100.0):
        real = time.perf_counter
        with monkeypatch.context() as patched:
            patched.setattr(time, "perf_counter", lambda real=real, slowdown=slowdown: real() * slowdown)
            monitor = ActivationMonitor(probe_data=_features())
            _fit([monitor])
        runs.append(monitor)
    assert runs[0].probed_epochs == runs[1].probed_epochs
    for monitor in runs:
        assert monitor.probed_epochs == EXPECTED_PROBED
        assert monitor.extras["probed_epochs"] == EXPECTED_PROBED
        history = np.asarray(monitor.history["dead_frac/hidden"])
        assert len(history) == EPOCHS
        assert np.flatnonzero(np.isfinite(history)).tolist() == EXPECTED_PROBED


def test_a_dataset_of_unknown_length_is_scheduled_from_the_optimizer_steps():
    """A generator dataset has no length Keras knows (`params["steps"]` is None): the steps of an
    epoch are then the optimizer's updates in it, as Keras counts them (3 a 2-batch epoch in
    Keras 3.15, which counts the step that finds the data exhausted too)."""
    features = _features()
    dataset = tf.data.Dataset.from_generator(
        lambda: ((row, np.int32(0)) for row in features),
        output_signature=(tf.TensorSpec((4,), tf.float32), tf.TensorSpec((), tf.int32)),
    ).batch(BATCH)
    assert dataset.cardinality().numpy() == tf.data.UNKNOWN_CARDINALITY
    reference = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    reference.compile("sgd", "sparse_categorical_crossentropy")
    with pytest.warns(UserWarning, match="ran out of data"):
        reference.fit(dataset, epochs=1, verbose=0, shuffle=False)
    steps = int(reference.optimizer.iterations.numpy())
    assert steps in (2, 3)
    every = int(np.ceil(ROWS / (3 * 32 * steps * 0.02)))  # 17 for 2 steps, 12 for 3
    monitor = ActivationMonitor(probe_data=features)
    with pytest.warns(UserWarning, match="ran out of data"):
        _fit([monitor], dataset=dataset)
    assert monitor.probed_epochs == list(range(16)) + [e for e in range(16, EPOCHS - 1) if e % every == 0] + [39]


class _StopAfter(keras.callbacks.Callback):
    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            self.model.stop_training = True


@pytest.mark.parametrize("stopper_first", [True, False])
def test_a_fit_stopped_early_is_probed_at_the_epoch_it_ended_with(stopper_first):
    """Stopped after epoch 20, which the period (17) skips: that epoch is probed all the same,
    whether the stopping callback runs before the monitor (which then sees `stop_training`, and
    logs the values) or after it (the probe then runs at the end of training, into `history`)."""
    monitor = ActivationMonitor(probe_data=_features())
    stopper = _StopAfter(20)
    logged = _fit([stopper, monitor] if stopper_first else [monitor, stopper]).history["dead_frac/hidden"]
    assert monitor.probed_epochs == list(range(16)) + [17, 20]
    history = np.asarray(monitor.history["dead_frac/hidden"])
    assert len(history) == 21 and np.isfinite(history[20]) and np.isnan(history[19])
    assert np.isfinite(logged[20]) == stopper_first
