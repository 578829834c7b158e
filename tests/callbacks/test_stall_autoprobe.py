"""StallMonitor without `probe_data`: its probe batch is gathered from training by the BatchProbe."""

import keras
import numpy as np
import pytest

from callbacks._batch_probe import shared_probe
from callbacks._guard import NotJudgedWarning
from callbacks.stall_monitor import StallMonitor
from callbacks.training_diagnostics import TrainingDiagnostics
from tests.callbacks.test_stall_monitor import _SaddleLayer, symmetric_start
from zoo._keras_internals import is_patched


def test_strict_saddle_is_found_without_probe_data():
    model = keras.Sequential([keras.Input((1,)), _SaddleLayer()])
    model.compile(keras.optimizers.SGD(0.05), loss=lambda y_true, y_pred: keras.ops.mean(y_pred))
    x = np.zeros((64, 1), "float32")
    monitor = StallMonitor()  # alone: it attaches the shared probe itself
    model.fit(x, x, batch_size=16, epochs=18, verbose=0, callbacks=[monitor])
    assert [f.kind for f in monitor.findings] == ["saddle_point"]
    assert monitor.findings[0].evidence["min_eigenvalue"] == pytest.approx(-2.0, rel=1e-3)
    assert monitor.findings[0].evidence["max_eigenvalue"] == pytest.approx(2.0, rel=1e-3)
    assert not shared_probe(model).attached  # detached at train end
    assert not any(is_patched(model, name) for name in ("train_step", "test_step", "compute_loss"))


def test_symmetric_start_is_a_saddle_under_training_diagnostics_defaults():
    """Zero-initialised tanh net: stalls at the variance of the targets, at a saddle."""
    x, y, model = symmetric_start(512)
    diagnostics = TrainingDiagnostics(verbose=0)
    with pytest.warns(NotJudgedWarning) as said:  # a regression without validation data
        model.fit(x, y, batch_size=128, epochs=10, verbose=0, shuffle=False, callbacks=[diagnostics])
    said = " ".join(str(warning.message) for warning in said if warning.category is NotJudgedWarning)
    # Class counts do not apply to a regression: noted, not warned.
    assert "no class counts" not in said and "no validation data" in said
    saddles = [f for f in diagnostics.findings if f.kind == "saddle_point"]
    assert len(saddles) == 1 and "plateau" not in [f.kind for f in diagnostics.findings]
    evidence = saddles[0].evidence
    assert evidence["min_eigenvalue"] < -0.1 * evidence["max_eigenvalue"] < 0
    # Both monitors read the one capture, each with the rows it asked for.
    stall_monitor = next(m for m in diagnostics.monitors if isinstance(m, StallMonitor))
    activation_monitor = next(m for m in diagnostics.monitors if type(m).__name__ == "ActivationMonitor")
    probe_x, probe_y, weights = stall_monitor._captured
    np.testing.assert_array_equal(probe_x, x[:256])  # gathered over the first two batches
    np.testing.assert_array_equal(probe_y, y[:256])
    assert weights is None
    np.testing.assert_array_equal(activation_monitor._probe, x[:256])


def _symmetric_start_fit(seed, jit_compile):
    """Zero-initialised tanh net on data drawn with `seed`: a stall at a saddle."""
    keras.utils.set_random_seed(seed)
    x, y, model = symmetric_start(128, seed, jit_compile)
    monitor = StallMonitor()
    model.fit(x, y, batch_size=32, epochs=10, verbose=0, shuffle=False, callbacks=[monitor])
    return x, monitor


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_saddle_is_classified_alike_with_and_without_xla(seed):
    """Under XLA the probe batch is the same rows, so the curvature and the verdict are too (the
    saddle is not reported as a plateau for want of curvature)."""
    x, plain = _symmetric_start_fit(seed, jit_compile=False)
    _, compiled = _symmetric_start_fit(seed, jit_compile=True)
    for monitor in (plain, compiled):
        assert [f.kind for f in monitor.findings] == ["saddle_point"]
        np.testing.assert_array_equal(monitor._captured[0], x)  # all rows: fewer than 256
    for key in ("min_eigenvalue", "max_eigenvalue"):
        assert compiled.findings[0].evidence[key] == pytest.approx(plain.findings[0].evidence[key], rel=1e-3)
