"""StallMonitor without `probe_data`: its probe batch is captured from training by the telemetry."""

import keras
import numpy as np
import pytest

from callbacks._telemetry import shared_telemetry
from callbacks.stall_monitor import StallMonitor
from callbacks.training_diagnostics import TrainingDiagnostics
from tests.callbacks.test_stall_monitor import _SaddleLayer


def test_strict_saddle_is_found_without_probe_data():
    model = keras.Sequential([keras.Input((1,)), _SaddleLayer()])
    model.compile(keras.optimizers.SGD(0.05), loss=lambda y_true, y_pred: keras.ops.mean(y_pred))
    x = np.zeros((64, 1), "float32")
    monitor = StallMonitor()  # alone: it attaches the shared telemetry itself
    model.fit(x, x, batch_size=16, epochs=18, verbose=0, callbacks=[monitor])
    assert [f.kind for f in monitor.findings] == ["saddle_point"]
    assert monitor.findings[0].evidence["min_eigenvalue"] == pytest.approx(-2.0, rel=1e-3)
    assert monitor.findings[0].evidence["max_eigenvalue"] == pytest.approx(2.0, rel=1e-3)
    assert not shared_telemetry(model).attached  # detached at train end
    assert "apply" not in model.optimizer.__dict__ and "train_step" not in model.__dict__


def test_symmetric_start_is_a_saddle_under_training_diagnostics_defaults():
    """Zero-initialised tanh net: stalls at the variance of the targets, at a saddle."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal((512, 4)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5, 1.5], "float32") + 3.0)[:, None]
    model = keras.Sequential([
        keras.Input((4,)),
        keras.layers.Dense(8, activation="tanh", kernel_initializer="zeros"),
        keras.layers.Dense(1, kernel_initializer="zeros"),
    ])
    model.compile(keras.optimizers.SGD(0.05), "mse")
    diagnostics = TrainingDiagnostics(verbose=0)
    model.fit(x, y, batch_size=128, epochs=10, verbose=0, shuffle=False, callbacks=[diagnostics])
    saddles = [f for f in diagnostics.findings if f.kind == "saddle_point"]
    assert len(saddles) == 1 and "plateau" not in [f.kind for f in diagnostics.findings]
    evidence = saddles[0].evidence
    assert evidence["min_eigenvalue"] < -0.1 * evidence["max_eigenvalue"] < 0
    # Both monitors read the one capture, each with the rows it asked for.
    stall_monitor = next(m for m in diagnostics.monitors if isinstance(m, StallMonitor))
    activation_monitor = next(m for m in diagnostics.monitors if type(m).__name__ == "ActivationMonitor")
    probe_x, probe_y, weights = stall_monitor._captured
    np.testing.assert_array_equal(probe_x, x[:128])  # a whole batch: smaller than probe_size=256
    np.testing.assert_array_equal(probe_y, y[:128])
    assert weights is None
    np.testing.assert_array_equal(activation_monitor._probe, x[:64])


def _capture(y, sample_weight=None, rows=8):
    x = np.random.default_rng(1).standard_normal((48, 5)).astype("float32")
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3, activation="softmax")])
    loss = "sparse_categorical_crossentropy" if y.ndim == 1 else "categorical_crossentropy"
    model.compile("sgd", loss)
    telemetry = shared_telemetry(model)
    telemetry.attach()
    telemetry.request_probe(rows, targets=True)
    telemetry.request_probe(rows // 2)  # an inputs-only reader asking for fewer rows
    try:
        model.fit(x, y, sample_weight=sample_weight, batch_size=16, epochs=2, shuffle=False, verbose=0)
        return x, telemetry.probe(), telemetry.probe_batch()
    finally:
        telemetry.detach()


@pytest.mark.parametrize("labels", ["int", "one_hot"])
def test_telemetry_keeps_the_first_rows_of_the_first_batch(labels):
    y = np.arange(48) % 3
    y = y.astype("int64") if labels == "int" else np.eye(3, dtype="float32")[y]
    x, inputs_only, batch = _capture(y)
    assert len(batch) == 2
    probe_x, probe_y = batch
    np.testing.assert_array_equal(probe_x, x[:8])
    np.testing.assert_array_equal(probe_y, y[:8])
    assert probe_x.dtype == x.dtype and probe_y.dtype == y.dtype
    np.testing.assert_array_equal(inputs_only, x[:4])


def test_telemetry_keeps_sample_weights_when_the_batch_has_them():
    y = (np.arange(48) % 3).astype("int32")
    weights = np.linspace(0.5, 2.0, 48).astype("float32")
    x, _, (probe_x, probe_y, probe_weights) = _capture(y, sample_weight=weights)
    np.testing.assert_array_equal(probe_x, x[:8])
    np.testing.assert_array_equal(probe_y, y[:8])
    np.testing.assert_array_equal(probe_weights, weights[:8])
    assert probe_y.dtype == np.int32 and probe_weights.dtype == np.float32


def test_telemetry_of_a_two_input_model_captures_nothing():
    inputs = [keras.Input((2,)), keras.Input((2,))]
    model = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Concatenate()(inputs)))
    model.compile("sgd", "mse")
    telemetry = shared_telemetry(model)
    telemetry.attach()
    telemetry.request_probe(4, targets=True)
    x = np.ones((16, 2), "float32")
    try:
        model.fit([x, x], x[:, :1], batch_size=8, epochs=1, verbose=0)
        assert telemetry.probe() is None and telemetry.probe_batch() is None  # two inputs: no capture
    finally:
        telemetry.detach()


def test_xla_compiled_step_trains_without_a_capture():
    """XLA cannot give the probe variables a new shape: no capture there (and no crash)."""
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="tanh"),
                              keras.layers.Dense(1)])
    model.compile("sgd", "mse", jit_compile=True)
    telemetry = shared_telemetry(model)
    telemetry.attach()
    telemetry.request_probe(4, targets=True)
    x = np.ones((16, 3), "float32")
    try:
        model.fit(x, x[:, :1], batch_size=8, epochs=1, verbose=0)
        assert telemetry.probe() is None and telemetry.probe_batch() is None
    finally:
        telemetry.detach()
    monitor = StallMonitor()  # alone under XLA: it does not instrument the step for nothing
    model.fit(x, x[:, :1], batch_size=8, epochs=1, verbose=0, callbacks=[monitor])
    assert monitor._captured is None and "train_step" not in model.__dict__
