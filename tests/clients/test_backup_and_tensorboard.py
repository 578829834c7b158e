"""Keras' `BackupAndRestore` and `TensorBoard` callbacks in the same `fit`, the diagnostics last."""

import math

import pytest

import keras
from tests.clients._client import (DIGIT_CLASSES, SEEDS, assert_healthy, assert_learned, digits, digits_classifier,
                                   fit_both)

# TensorFlow 2.20 and later no longer install TensorBoard, which Keras' callback writes with.
pytest.importorskip("tensorboard", reason="TensorBoard is not installed (setup.cfg's test extra has it)")
TRAIN_ROWS = 1400


@pytest.mark.parametrize("seed", SEEDS)
def test_backup_and_restore_beside_tensorboard(seed, tmp_path):
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
