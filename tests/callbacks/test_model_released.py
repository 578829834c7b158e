"""A diagnosed `fit` keeps nothing alive that a plain one lets go: once the user drops the model
and the callback, the garbage collector frees the model, as after a plain Keras `fit` (a loop of
trials in a notebook must not grow by one model per trial)."""

import gc
import weakref

import keras
import numpy as np
import pytest

from callbacks import (ActivationMonitor, GradientMonitor, ImbalanceMonitor, SetupMonitor, StallMonitor,
                       TrainingDiagnostics)


class _Interrupt(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        raise RuntimeError("a user's callback failed")


def _fit_and_drop(callbacks, interrupted=False):
    """Fits a fresh model with `callbacks()`; returns a weak reference to the model."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(128, 8)).astype("float32")
    y = (x[:, 0] > 0).astype("int32")
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    if interrupted:
        with pytest.raises(RuntimeError):
            model.fit(x, y, epochs=2, batch_size=32, verbose=0, callbacks=[*callbacks(), _Interrupt()])
    model.fit(x, y, epochs=2, batch_size=32, verbose=0, validation_split=0.25, callbacks=callbacks())
    return weakref.ref(model)


@pytest.mark.parametrize("callbacks", [
    lambda: [],  # the control: plain Keras lets the model go
    lambda: [TrainingDiagnostics(verbose=0)],
    lambda: [GradientMonitor()],
    lambda: [ActivationMonitor()],
    lambda: [StallMonitor()],
    lambda: [SetupMonitor()],
    lambda: [ImbalanceMonitor()],
], ids=["plain", "defaults", "gradients", "activations", "stall", "setup", "imbalance"])
def test_the_model_is_freed_after_the_fit(callbacks):
    model = _fit_and_drop(callbacks)
    gc.collect()
    assert model() is None


def test_the_model_is_freed_after_a_fit_that_follows_an_interrupted_one():
    model = _fit_and_drop(lambda: [TrainingDiagnostics(verbose=0)], interrupted=True)
    gc.collect()
    assert model() is None
