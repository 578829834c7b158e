"""A resumed `fit` (`initial_epoch`, or `BackupAndRestore` after a preemption) numbers its epochs
as Keras does, from where it resumed: History's `epoch`, CSVLogger and the progress bar say 3, 4,
... The findings say the same, live, through `run.json` and through `python -m diagnostics`.

The fault is NaN targets in a seventh of the rows from the first step: every epoch's loss is NaN,
so the findings (`label_mismatch` on the targets, `non_finite`) hold from the fit's first epoch.
"""

import json

import numpy as np
import pytest

import keras
from callbacks import GradientMonitor, TrainingDiagnostics
from diagnostics import judge, load_run
from diagnostics.__main__ import main
from tests.clients._client import SEEDS, digits, fit_both
from tests.clients.test_backup_and_tensorboard import Preempt

TRAIN_ROWS = 1400


def _nan_targets():
    """The digits as a regression onto the digit's value, with NaN for every seventh target."""
    x, y = digits()
    y = y.astype("float32")
    y[::7] = np.nan
    return x, y


def _regression():
    inputs = keras.Input((64,))
    hidden = keras.layers.Dense(16, activation="relu", name="hidden")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(1, name="value")(hidden))
    model.compile(keras.optimizers.Adam(0.01), "mse")
    return model


def _fit(model, callbacks, **kwargs):
    x, y = _nan_targets()
    return model.fit(x[:TRAIN_ROWS], y[:TRAIN_ROWS], validation_data=(x[TRAIN_ROWS:], y[TRAIN_ROWS:]), batch_size=32,
                     verbose=0, callbacks=callbacks, **kwargs)


def _epochs(findings):
    return {finding.kind: finding.epoch for finding in findings if finding.kind in ("label_mismatch", "non_finite")}


def _offline_epochs(report_dir, capsys):
    """The same epochs read back from `run.json`: by `diagnostics.judge` and by the command line."""
    capsys.readouterr()
    judged = _epochs(judge(load_run(report_dir / "run.json")))
    assert main([str(report_dir / "run.json"), "--format", "json", "--out", str(report_dir / "cli")]) == 0
    printed = {f["kind"]: f["epoch"] for f in json.loads(capsys.readouterr().out)["findings"]
               if f["kind"] in ("label_mismatch", "non_finite")}
    assert judged == printed
    return judged


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("initial_epoch", [0, 3])
def test_findings_of_a_fit_from_initial_epoch_name_keras_epochs(seed, initial_epoch, tmp_path, capsys):
    diagnostics = TrainingDiagnostics(verbose=0, report_dir=tmp_path)
    diagnostics, _, (history,) = fit_both(_regression, lambda model, callbacks: _fit(
        model, callbacks, epochs=initial_epoch + 2, initial_epoch=initial_epoch), seed, diagnostics)
    assert np.isnan(history["loss"]).all()
    first = initial_epoch  # what History's `epoch` list starts with
    assert _epochs(diagnostics.findings) == {"label_mismatch": first, "non_finite": first}
    assert load_run(tmp_path / "run.json")["meta"]["first_epoch"] == first
    assert _offline_epochs(tmp_path, capsys) == {"label_mismatch": first, "non_finite": first}


@pytest.mark.parametrize("seed", SEEDS)
def test_findings_of_a_fit_resumed_by_backup_and_restore_name_keras_epochs(seed, tmp_path, capsys):
    keras.utils.set_random_seed(seed)
    model = _regression()
    backup = keras.callbacks.BackupAndRestore(tmp_path / "backup")
    with pytest.raises(KeyboardInterrupt):  # preempted at the start of epoch 2
        _fit(model, [backup, Preempt(2), TrainingDiagnostics(verbose=0)], epochs=4)
    diagnostics = TrainingDiagnostics(verbose=0, report_dir=tmp_path / "report")
    history = _fit(model, [backup, diagnostics], epochs=4)
    assert history.epoch == [2, 3]  # resumed after the two finished epochs
    assert _epochs(diagnostics.findings) == {"label_mismatch": 2, "non_finite": 2}
    assert _offline_epochs(tmp_path / "report", capsys) == {"label_mismatch": 2, "non_finite": 2}


def test_a_monitor_used_alone_numbers_its_findings_as_keras_does():
    keras.utils.set_random_seed(0)
    monitor = GradientMonitor()
    history = _fit(_regression(), [monitor], epochs=5, initial_epoch=3)
    assert history.epoch == [3, 4]
    assert monitor.first_epoch == 3 and monitor.record()["meta"]["first_epoch"] == 3
    assert [(f.kind, f.epoch) for f in monitor.findings if f.kind == "non_finite"] == [("non_finite", 3)]
