"""A failing monitor never breaks the user's `fit`: one warning, the monitor off, a note in the run.

Failures are injected by replacing a hook (or the `record` method the judge reads) of a monitor
class with one that raises.
"""

import warnings

import numpy as np
import pytest

import keras
from callbacks import DEFAULT_MONITORS, ActivationMonitor, GradientMonitor, TrainingDiagnostics
from callbacks._guard import MonitorFailedWarning, Skipped
from callbacks._telemetry import shared_telemetry
from diagnostics import judgement

L = keras.layers

HOOKS = ("set_model", "on_train_begin", "on_epoch_begin", "on_train_batch_begin", "on_train_batch_end",
         "on_test_end", "on_epoch_end", "on_train_end")
EPOCHS = 2


class InjectedError(RuntimeError):
    pass


def _raise(*args, **kwargs):
    raise InjectedError("injected")


def _fail_in(monkeypatch, monitor_class, hook):
    monkeypatch.setattr(monitor_class, hook, _raise)


def _data(rows=96):
    rng = np.random.default_rng(0)
    return rng.normal(size=(rows, 8)).astype("float32"), rng.integers(0, 3, size=rows)


def _model(bias=0.0):
    model = keras.Sequential([
        keras.Input((8,)),
        L.Dense(16, activation="relu", bias_initializer=keras.initializers.Constant(bias), name="hidden"),
        L.Dense(3, name="out"),
    ])
    model.compile(keras.optimizers.SGD(0.05), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _fit(model, diagnostics, **kwargs):
    x, y = _data()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        history = model.fit(x, y, batch_size=32, epochs=EPOCHS, verbose=0, callbacks=[diagnostics], **kwargs)
    return history, [w for w in caught if issubclass(w.category, MonitorFailedWarning)]


@pytest.mark.parametrize("hook", HOOKS + ("record",))
def test_every_default_monitor_failing_in_a_hook_leaves_fit_running(monkeypatch, hook):
    for monitor_class in DEFAULT_MONITORS:
        _fail_in(monkeypatch, monitor_class, hook)
    model = _model()
    diagnostics = TrainingDiagnostics(verbose=0)
    x, y = _data(32)
    history, warned = _fit(model, diagnostics, validation_data=(x, y))

    assert len(history.history["loss"]) == EPOCHS
    names = [monitor_class.__name__ for monitor_class in DEFAULT_MONITORS]
    expected = [Skipped(name, hook, "InjectedError: injected") for name in names]
    assert diagnostics.skipped == expected
    assert diagnostics.run()["skipped"] == [note.to_dict() for note in expected]
    assert len(warned) == len(names)
    for name, warning in zip(names, warned):
        assert f"{name} failed in {hook} (InjectedError: injected)" in str(warning.message)
    assert diagnostics.findings == []
    if hook != "on_train_end":  # a monitor switched off earlier still detaches at the end
        assert not shared_telemetry(model).attached


@pytest.mark.parametrize("failing", DEFAULT_MONITORS, ids=lambda cls: cls.__name__)
def test_the_other_monitors_judge_as_if_nothing_failed(monkeypatch, failing):
    def run():
        keras.utils.set_random_seed(0)
        diagnostics = TrainingDiagnostics(verbose=0)
        _, warned = _fit(_model(bias=-3.0), diagnostics, validation_split=0.25)  # a dead ReLU layer: a finding to lose
        return diagnostics, warned

    reference, _ = run()
    assert [finding.kind for finding in reference.findings] == ["dead_relu"]
    failing_calls = []

    def fail_at_second_epoch_end(self, epoch, logs=None):
        failing_calls.append(epoch)
        if epoch == 1:
            raise InjectedError("injected")
        original(self, epoch, logs)

    original = failing.on_epoch_end
    monkeypatch.setattr(failing, "on_epoch_end", fail_at_second_epoch_end)
    diagnostics, warned = run()

    assert failing_calls == [0, 1] and len(warned) == 1
    assert diagnostics.skipped == [Skipped(failing.__name__, "on_epoch_end", "InjectedError: injected")]
    # The dead units are ActivationMonitor's record; without it the judge cannot see them.
    assert diagnostics.findings == ([] if failing is ActivationMonitor else reference.findings)
    others = [index for index, monitor in enumerate(reference.monitors) if type(monitor) is not failing]
    # Per-layer keys that the failing monitor put into `logs` are missing from then on; the rest,
    # StallMonitor's gradient norm read from the shared telemetry included, is measured exactly as
    # in the reference run.
    lost = {key for monitor in reference.monitors if type(monitor) is failing
            for key in getattr(monitor, "history", {}) if "/" in key}
    for index in others:
        kept, expected_kept = (
            {key: values for key, values in getattr(monitor, "history", {}).items() if key not in lost}
            for monitor in (diagnostics.monitors[index], reference.monitors[index])
        )
        np.testing.assert_equal(kept, expected_kept)


def test_a_monitor_that_should_stop_on_nonfinite_still_stops_fit_after_failing(monkeypatch):
    monkeypatch.setattr(GradientMonitor, "on_train_batch_end", _raise)
    x, y = _data()
    weights = np.ones(len(y), "float32")
    weights[40] = np.nan  # a NaN loss in the second batch, whatever the kernels do with NaN inputs
    for stop_on_nonfinite, epochs_run in ((True, 1), (False, EPOCHS)):
        diagnostics = TrainingDiagnostics(monitors=[GradientMonitor(stop_on_nonfinite=stop_on_nonfinite)],
                                          verbose=0)
        with pytest.warns(MonitorFailedWarning, match="GradientMonitor failed in on_train_batch_end"):
            history = _model().fit(x, y, sample_weight=weights, batch_size=32, epochs=EPOCHS, verbose=0,
                                   callbacks=[diagnostics])
        assert len(history.history["loss"]) == epochs_run


def test_a_report_that_cannot_be_written_is_a_warning_and_a_note(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    diagnostics = TrainingDiagnostics(report_dir=blocker, verbose=0)
    history, warned = _fit(_model(), diagnostics, validation_split=0.25)
    assert len(history.history["loss"]) == EPOCHS
    assert len(warned) == 1 and "report could not be written" in str(warned[0].message)
    assert [(note.monitor, note.hook) for note in diagnostics.skipped] == [("TrainingDiagnostics", "report")]


def test_a_verdict_that_cannot_be_reached_is_a_warning_and_a_note(monkeypatch):
    def broken(record):
        raise ZeroDivisionError("division by zero")

    monkeypatch.setattr(judgement, "judge", broken)
    diagnostics = TrainingDiagnostics(verbose=0)
    history, warned = _fit(_model(), diagnostics, validation_split=0.25)
    assert len(history.history["loss"]) == EPOCHS and diagnostics.findings == []
    assert len(warned) == 1 and "could not be judged (ZeroDivisionError: division by zero)" in str(warned[0].message)
    assert [(note.monitor, note.hook) for note in diagnostics.skipped] == [("TrainingDiagnostics", "judge")]
