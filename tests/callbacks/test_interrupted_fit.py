"""A `fit` that ends in an exception (Ctrl-C, another callback raising) skips `on_train_end`, so
the monitors never detach. The next `fit` must start clean: the model's methods and optimizer
are Keras' own again after it, and it is judged on its own batches, not the interrupted run's."""

import keras
import numpy as np
import pytest

from callbacks import GradientMonitor, TrainingDiagnostics
from callbacks._batch_probe import shared_probe
from callbacks._telemetry import shared_telemetry

STEPS = ("train_step", "test_step", "compute_loss")


class _Interrupt(keras.callbacks.Callback):
    """Raises `error` at the end of epoch `epoch`, as a user's callback or Ctrl-C would."""

    def __init__(self, error, epoch=1):
        super().__init__()
        self.error, self.epoch = error, epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise self.error


def _data(seed, scale=1.0, offset=0.0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(256, 8)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int32")
    return x * scale + offset, y


def _model():
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    return model


def _assert_keras_own_methods(model):
    for name in STEPS:
        assert name not in model.__dict__, name
        assert getattr(model, name).__func__ is getattr(type(model), name)
    assert "apply" not in model.optimizer.__dict__
    assert model.optimizer.apply.__func__ is type(model.optimizer).apply


@pytest.mark.parametrize("error, seed", [
    (RuntimeError("a user's callback failed"), 0),
    (RuntimeError("a user's callback failed"), 1),
    (RuntimeError("a user's callback failed"), 2),
    (KeyboardInterrupt(), 0),
    pytest.param(KeyboardInterrupt(), 1, marks=pytest.mark.slow),
    pytest.param(KeyboardInterrupt(), 2, marks=pytest.mark.slow),
], ids=["exception-0", "exception-1", "exception-2", "ctrl_c-0", "ctrl_c-1", "ctrl_c-2"])
def test_a_fit_after_an_interrupted_one_is_judged_on_its_own_data(error, seed):
    keras.utils.set_random_seed(seed)
    model = _model()
    raw_x, y = _data(seed, scale=300.0, offset=1000.0)  # far from normalized: unnormalized_input
    with pytest.raises(type(error)):
        model.fit(raw_x, y, epochs=3, batch_size=32, verbose=0, validation_split=0.25,
                  callbacks=[TrainingDiagnostics(verbose=0), _Interrupt(error)])
    assert "train_step" in model.__dict__  # left instrumented: the case to recover from

    x, y = _data(seed)
    diagnostics = TrainingDiagnostics(verbose=0)
    model.fit(x, y, epochs=1, batch_size=32, verbose=0, validation_split=0.25, callbacks=[diagnostics])
    assert "unnormalized_input" not in {finding.kind for finding in diagnostics.findings}
    _assert_keras_own_methods(model)
    assert not shared_probe(model).attached and not shared_telemetry(model).attached


def test_a_monitor_used_again_after_an_interrupted_fit_detaches_at_its_end():
    """The same monitor instance, reused: its second `fit` starts from a clean model, and its
    `on_train_end` leaves Keras' own methods."""
    model = _model()
    x, y = _data(0)
    monitor = GradientMonitor()
    with pytest.raises(RuntimeError):
        model.fit(x, y, epochs=3, batch_size=32, verbose=0, callbacks=[monitor, _Interrupt(RuntimeError())])
    assert "apply" in model.optimizer.__dict__
    history = model.fit(x, y, epochs=2, batch_size=32, verbose=0, callbacks=[monitor])
    assert len(monitor.history["grad_norm/dense"]) == 2 and len(history.history["grad_norm/dense"]) == 2
    _assert_keras_own_methods(model)
    assert not shared_telemetry(model).attached


class _FailAtBegin(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        raise RuntimeError("a user's callback failed before the first step")


def test_a_fit_interrupted_before_its_first_step_leaves_nothing_on_the_next():
    """Attached in `on_train_begin`, stopped before any step was traced: the next `fit`'s
    `set_model` releases what was left (`callbacks._left_over`)."""
    model = _model()
    x, y = _data(0)
    with pytest.raises(RuntimeError):
        model.fit(x, y, epochs=1, batch_size=32, verbose=0, callbacks=[TrainingDiagnostics(verbose=0), _FailAtBegin()])
    assert "train_step" in model.__dict__ and "apply" in model.optimizer.__dict__
    model.fit(x, y, epochs=1, batch_size=32, verbose=0, callbacks=[TrainingDiagnostics(verbose=0)])
    _assert_keras_own_methods(model)
