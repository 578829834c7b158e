"""TrainingDiagnostics combines the monitors, logs every key from epoch 0 and writes a report."""

import csv
import json
import warnings

import numpy as np
import pytest

import keras
from callbacks import DEFAULT_MONITORS, ActivationMonitor, GradientMonitor, TrainingDiagnostics
from callbacks._guard import NotJudgedWarning
from diagnostics import Finding, judge, load_run

L = keras.layers


def _model():
    model = keras.Sequential(
        [keras.Input((8,)), L.Dense(16, activation="relu", name="hidden"), L.Dense(3, name="out")]
    )
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(64, 8)).astype("float32"), rng.integers(0, 3, size=64)


def test_default_monitors_include_gradient_and_activation_monitors():
    assert GradientMonitor in DEFAULT_MONITORS and ActivationMonitor in DEFAULT_MONITORS
    kinds = {type(m) for m in TrainingDiagnostics().monitors}
    assert set(DEFAULT_MONITORS) <= kinds


def test_every_diagnostic_key_is_in_csv_logger_from_epoch_zero(tmp_path):
    x, y = _data()
    path = tmp_path / "log.csv"
    model = _model()
    model.fit(x, y, epochs=2, verbose=0,
              callbacks=[TrainingDiagnostics(verbose=0), keras.callbacks.CSVLogger(str(path))])
    with open(path) as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2
    for key in ("grad_norm/hidden", "update_ratio/out", "weight_norm/hidden", "grad_zero_frac/hidden",
                "nonfinite/out", "dead_frac/hidden"):
        assert key in rows[0], key
        assert np.isfinite(float(rows[0][key]))


def test_log_layers_false_keeps_logs_short_but_history_full():
    x, y = _data()
    diagnostics = TrainingDiagnostics(log_layers=False, verbose=0)
    history = _model().fit(x, y, epochs=1, verbose=0, callbacks=[diagnostics])
    assert not any("/" in key for key in history.history)
    gradient_monitor = next(m for m in diagnostics.monitors if isinstance(m, GradientMonitor))
    assert "grad_norm/hidden" in gradient_monitor.history
    assert "grad_norm/hidden" in diagnostics.history  # still in run.json and the report


def test_report_dir_gets_run_json_report_and_plots(tmp_path):
    x, y = _data()
    diagnostics = TrainingDiagnostics(report_dir=tmp_path, verbose=0)
    _model().fit(x, y, epochs=2, verbose=0, callbacks=[diagnostics])
    run = json.loads((tmp_path / "run.json").read_text())
    assert set(run) == {"version", "history", "findings", "meta", "extras", "skipped"}
    assert len(run["history"]["grad_norm/hidden"]) == 2
    assert run["meta"]["epochs_run"] == 2 and run["meta"]["model"]
    assert run["extras"]["GradientMonitor"]["layers"] == ["hidden", "out"]
    report = (tmp_path / "report.md").read_text()
    assert "## Findings" in report and "gradient_norms.png" in report and "activation_health.png" in report
    assert (tmp_path / "gradient_norms.png").stat().st_size > 0
    assert (tmp_path / "activation_health.png").stat().st_size > 0
    assert load_run(tmp_path / "run.json")["history"]["loss"] == pytest.approx(run["history"]["loss"])


def test_findings_are_deduplicated_sorted_and_reported(tmp_path, capsys):
    class Fake(keras.callbacks.Callback):
        def __init__(self, findings):
            super().__init__()
            self.findings = findings

    late = Finding("plateau", "warning", 3, None, "Stalled.")
    early = Finding("dead_relu", "error", 1, "hidden", "Dead.", {"dead_frac": 0.9}, ["Lower the LR."])
    diagnostics = TrainingDiagnostics(monitors=[Fake([late, early]), Fake([early])], verbose=1)
    x, y = _data()
    _model().fit(x, y, epochs=1, verbose=0, callbacks=[diagnostics])
    assert [(f.kind, f.epoch, f.layer) for f in diagnostics.findings] == [("dead_relu", 1, "hidden"),
                                                                          ("plateau", 3, None)]
    assert "2 finding(s)" in capsys.readouterr().out
    path = diagnostics.report(tmp_path)
    text = open(path).read()
    remedy = diagnostics.findings[0].remedies[0].sentence
    assert "dead_relu" in text and remedy in text and "dead_frac = 0.9" in text


def test_the_findings_read_after_fit_are_the_verdict_on_the_whole_record_with_its_setup():
    # All-zero kernels: only the setup (read at the initial weights) says the start is symmetric,
    # and only then does a random initializer lead the remedies.
    model = keras.Sequential([keras.Input((8,)), L.Dense(16, activation="tanh", kernel_initializer="zeros"),
                              L.Dense(16, activation="tanh", kernel_initializer="zeros"), L.Dense(3)])
    model.compile(keras.optimizers.SGD(0.01), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    diagnostics = TrainingDiagnostics(verbose=0)
    x, y = _data()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotJudgedWarning)  # no validation data
        model.fit(x, y, epochs=4, batch_size=16, verbose=0, callbacks=[diagnostics])
    verdict = judge(diagnostics.run())
    assert verdict and [f.to_dict() for f in diagnostics.findings] == [f.to_dict() for f in verdict]
    assert diagnostics.run()["findings"] == diagnostics.findings
    assert diagnostics.findings[0].remedies[0].action == "set_initializer"


def test_bad_arguments_name_the_argument():
    with pytest.raises(TypeError, match="monitors"):
        TrainingDiagnostics(monitors=[object()])
    with pytest.raises(ValueError, match="Received: verbose=5"):
        TrainingDiagnostics(verbose=5)
    with pytest.raises(ValueError, match="Received: every=0"):
        GradientMonitor(every=0)
    with pytest.raises(ValueError, match="Received: probe_size=0"):
        ActivationMonitor(probe_size=0)


def test_output_layer_sigmoid_is_not_probed_for_saturation():
    x, _ = _data()
    model = keras.Sequential([keras.Input((8,)), L.Dense(4, activation="tanh", name="h"),
                              L.Dense(1, activation="sigmoid", name="p")])
    model.compile("adam", "binary_crossentropy")
    monitor = ActivationMonitor()
    model.fit(x, (x[:, 0] > 0).astype("float32"), epochs=1, verbose=0, callbacks=[monitor])
    assert monitor.layers == {"h": "tanh"}
    assert list(monitor.history) == ["saturated_frac/h"]


def test_defaults_under_mirrored_strategy_measure_the_gradient_at_every_step(mirrored_strategy):
    # The default sampling (every 16th step) would put an all-reduce inside a tf.cond.
    x, y = _data()
    with mirrored_strategy.scope():
        model = _model()
    diagnostics = TrainingDiagnostics(verbose=0)
    model.fit(x, y, batch_size=16, epochs=2, verbose=0, validation_split=0.25, callbacks=[diagnostics])
    steps = diagnostics.history["grad_norm/hidden"]
    assert len(steps) == 2 and all(np.isfinite(value) and value > 0 for value in steps)
    # The units are judged too (the probe keeps rows under two replicas), and found healthy.
    assert all(np.isfinite(diagnostics.history["dead_frac/hidden"]))
    assert diagnostics.findings == [] and diagnostics.skipped == []


def test_registered_under_the_project_name_and_the_old_one(tmp_path):
    diagnostics = TrainingDiagnostics(report_dir=tmp_path, verbose=0, log_layers=False)
    assert keras.saving.get_registered_name(TrainingDiagnostics) == "zoo_diagnostics>TrainingDiagnostics"
    assert keras.saving.get_registered_object("callbacks>TrainingDiagnostics") is TrainingDiagnostics
    config = diagnostics.get_config()
    assert config == {"monitors": None, "report_dir": str(tmp_path), "verbose": 0, "log_layers": False,
                      "tensorboard_dir": None}
    assert TrainingDiagnostics.from_config(config).get_config() == config


def test_run_json_says_that_nothing_was_skipped(tmp_path):
    x, y = _data()
    _model().fit(x, y, epochs=1, verbose=0, validation_split=0.25,
                 callbacks=[TrainingDiagnostics(report_dir=tmp_path, verbose=0)])
    assert json.loads((tmp_path / "run.json").read_text())["skipped"] == []


def test_a_run_without_validation_data_says_once_that_overfitting_is_not_judged(tmp_path):
    x, y = _data()
    diagnostics = TrainingDiagnostics(report_dir=tmp_path, verbose=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _model().fit(x, y, epochs=2, verbose=0, callbacks=[diagnostics])
    [note] = json.loads((tmp_path / "run.json").read_text())["skipped"]
    assert (note["monitor"], note["hook"]) == ("GeneralizationMonitor", "not_judged")
    assert "val_loss" in note["reason"] and "val_loss" in (tmp_path / "report.md").read_text()
    said = [w for w in caught if "val_loss" in str(w.message)]
    assert [w.category for w in said] == [NotJudgedWarning]


def test_validation_every_other_epoch_is_no_missing_validation():
    x, y = _data()
    diagnostics = TrainingDiagnostics(verbose=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _model().fit(x, y, epochs=3, verbose=0, validation_split=0.25, validation_freq=2, callbacks=[diagnostics])
    assert diagnostics.skipped == [] and not [w for w in caught if "val_loss" in str(w.message)]
    assert diagnostics.run()["extras"]["GeneralizationMonitor"]["validated_epochs"] == [1]


def test_a_worker_that_is_not_the_chief_writes_no_report(tmp_path, monkeypatch):
    import tensorflow as tf

    # What MultiWorkerMirroredStrategy says on every worker but the chief.
    extended = type(tf.distribute.get_strategy().extended)
    monkeypatch.setattr(extended, "should_checkpoint", property(lambda self: False))
    x, y = _data()
    diagnostics = TrainingDiagnostics(report_dir=tmp_path / "report", verbose=0)
    _model().fit(x, y, epochs=2, verbose=0, validation_split=0.25, callbacks=[diagnostics])
    assert not (tmp_path / "report").exists()
    assert len(diagnostics.history["grad_norm/hidden"]) == 2 and diagnostics.skipped == []


def test_batch_hooks_reach_only_the_monitors_that_define_them():
    class CountsSteps(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.begun, self.ended = 0, 0

        def on_train_batch_begin(self, batch, logs=None):
            self.begun += 1

        def on_train_batch_end(self, batch, logs=None):
            self.ended += 1

    counter = CountsSteps()
    diagnostics = TrainingDiagnostics(monitors=[counter, keras.callbacks.Callback(), GradientMonitor()], verbose=0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile("sgd", "mse")
    model.fit(np.zeros((40, 3), "float32"), np.zeros((40, 2), "float32"), batch_size=8, epochs=2, verbose=0,
              callbacks=[diagnostics])
    assert (counter.begun, counter.ended) == (10, 10)
    receivers = {hook: [type(guard.monitor).__name__ for guard in guards]
                 for hook, guards in diagnostics._batch_guards.items()}
    assert receivers == {"on_train_batch_begin": ["CountsSteps"],
                         "on_train_batch_end": ["CountsSteps", "GradientMonitor"]}


def test_tensorboard_dir_adds_histograms_of_every_layer(tmp_path):
    accumulator = pytest.importorskip("tensorboard.backend.event_processing.event_accumulator")
    x, y = _data()
    diagnostics = TrainingDiagnostics(verbose=0, tensorboard_dir=tmp_path)
    _model().fit(x, y, epochs=2, verbose=0, validation_split=0.25, callbacks=[diagnostics])
    events = accumulator.EventAccumulator(str(tmp_path / "train"), size_guidance={"tensors": 0})
    events.Reload()
    tags = set(events.Tags()["tensors"])
    assert tags == {f"gradients/sequential/{layer}/{weight}" for layer in ("hidden", "out")
                    for weight in ("kernel", "bias")} | {"activations/hidden", "activations/out"}
    assert [event.step for event in events.Tensors("activations/hidden")] == [0, 1]
    assert diagnostics.skipped == []

