"""Keras' `BackupAndRestore` and `TensorBoard` callbacks in the same `fit`, the diagnostics last;
and a `fit` preempted (an exception at an epoch's start) then run again, which `BackupAndRestore`
resumes from its last finished epoch."""

import math

import pytest

import keras
from callbacks import TrainingDiagnostics
from tests.clients._client import (DIGIT_CLASSES, SEEDS, assert_healthy, assert_learned, digits, digits_classifier,
                                   fit_both)

# Seconds a seed; CI runs the slow tier too (the default tier keeps the suite under ~8 minutes).
pytestmark = pytest.mark.slow

TRAIN_ROWS = 1400


@pytest.mark.parametrize("seed", SEEDS)
def test_backup_and_restore_beside_tensorboard(seed, tmp_path):
    # TensorFlow 2.20 and later no longer install TensorBoard, which Keras' callback writes with.
    pytest.importorskip("tensorboard", reason="TensorBoard is not installed (setup.cfg's test extra has it)")
    x, y = digits()
    runs = iter(["plain", "observed"])

    def fit(model, callbacks):
        folder = tmp_path / next(runs)
        keras_callbacks = [keras.callbacks.BackupAndRestore(folder / "backup"),
                           keras.callbacks.TensorBoard(folder / "logs")]
        return model.fit(x[:TRAIN_ROWS], y[:TRAIN_ROWS], validation_data=(x[TRAIN_ROWS:], y[TRAIN_ROWS:]),
                         batch_size=32, epochs=3, verbose=0, callbacks=keras_callbacks + callbacks)

    diagnostics, _, (history,) = fit_both(digits_classifier, fit, seed)
    assert_learned(history, math.log(DIGIT_CLASSES))
    assert_healthy(diagnostics)
    # TensorBoard wrote its event files, and BackupAndRestore removed its backup at the end.
    assert list((tmp_path / "observed" / "logs" / "train").glob("events.out.tfevents.*"))
    assert not (tmp_path / "observed" / "backup").exists()


class Preempt(keras.callbacks.Callback):
    """Raises once, at the start of epoch `epoch`, as a preempted machine would stop the job."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch, self.raised = epoch, False

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == self.epoch and not self.raised:
            self.raised = True
            raise KeyboardInterrupt


@pytest.mark.parametrize("seed", SEEDS)
def test_preempted_fit_resumed_by_backup_and_restore(seed, tmp_path):
    x, y = digits()
    runs = iter(["plain", "observed"])

    def fit(model, callbacks):
        backup = keras.callbacks.BackupAndRestore(tmp_path / next(runs))
        preempted = [TrainingDiagnostics(verbose=0)] if callbacks else []
        with pytest.raises(KeyboardInterrupt):
            model.fit(x[:TRAIN_ROWS], y[:TRAIN_ROWS], validation_data=(x[TRAIN_ROWS:], y[TRAIN_ROWS:]), batch_size=32,
                      epochs=4, verbose=0, callbacks=[backup, Preempt(2)] + preempted)
        return model.fit(x[:TRAIN_ROWS], y[:TRAIN_ROWS], validation_data=(x[TRAIN_ROWS:], y[TRAIN_ROWS:]),
                         batch_size=32, epochs=4, verbose=0, callbacks=[backup] + callbacks)

    # Adam at 0.003: at 0.01 the loss swings near its floor in epochs 3-4, as the diagnosis says.
    diagnostics, _, (resumed,) = fit_both(lambda: digits_classifier(keras.optimizers.Adam(0.003)), fit, seed)
    assert len(resumed["loss"]) == 2  # epochs 2 and 3: resumed, not started over
    assert_learned(resumed, math.log(DIGIT_CLASSES))
    assert_healthy(diagnostics)
