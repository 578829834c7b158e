"""`python -m diagnostics` on run.json and CSVLogger files, and the dynamics report sections."""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from diagnostics import report as report_lib
from diagnostics.__main__ import main
from diagnostics.findings import Finding
from diagnostics.report_dynamics import curvature_section, loss_curves_section

_OVERFIT = {
    "loss": [2.0, 1.0, 0.6, 0.4, 0.3, 0.2, 0.15, 0.1, 0.07, 0.05],
    "val_loss": [2.0, 1.2, 0.8, 0.7, 0.72, 0.78, 0.85, 0.9, 1.0, 1.1],
}


def _write_csv(path, history):
    keys = list(history)
    with open(path, "w") as handle:
        handle.write(",".join(["epoch"] + keys) + "\n")
        for epoch in range(len(history[keys[0]])):
            handle.write(",".join([str(epoch)] + [repr(float(history[k][epoch])) for k in keys]) + "\n")


def _run_with_stall():
    overfitting = Finding("overfitting", "warning", 4, None, "Overfitting.", {"best_epoch": 3}, ["Stop early."])
    saddle = Finding("saddle_point", "warning", 6, None, "Saddle.", {"min_eigenvalue": -1.0}, [])
    probes = [{"epoch": 6, "max_eigenvalue": 2.0, "min_eigenvalue": -1.0, "hvps": 12, "probe_ms": 40.0,
               "kind": "saddle_point", "action": None}]
    return {"history": dict(_OVERFIT), "findings": [overfitting, saddle], "meta": {"model": "mlp"},
            "extras": {"StallMonitor": {"probes": probes, "window": 3}}}


def test_csv_file_is_judged_afresh(tmp_path, capsys):
    path = tmp_path / "training.csv"
    _write_csv(path, _OVERFIT)
    assert main([str(path), "--out", str(tmp_path / "report")]) == 0
    out = capsys.readouterr().out
    assert "overfitting from epoch 4" in out
    assert "underfitting" not in out and "oscillation" not in out
    report = (tmp_path / "report" / "report.md").read_text()
    assert "Loss curves" in report and (tmp_path / "report" / "loss_curves.png").stat().st_size > 0


def test_csv_with_gradient_columns_runs_the_gradient_detectors(tmp_path, capsys):
    history = {"loss": [2.3] * 4, "grad_norm/dense": [1e-9] * 4, "grad_norm/dense_1": [1e-6] * 4,
               "grad_norm/dense_2": [1e-5] * 4, "grad_norm/out": [0.3] * 4}
    path = tmp_path / "training.csv"
    _write_csv(path, history)
    assert main([str(path), "--format", "json", "--chance-loss", "2.302585"]) == 0
    payload = json.loads(capsys.readouterr().out)
    kinds = {f["kind"] for f in payload["findings"]}
    # The loss sits at chance, but the vanishing gradient explains it: that is the finding.
    assert "vanishing_gradient" in kinds and "underfitting" not in kinds
    assert os.path.isfile(payload["report"])
    assert os.path.dirname(payload["report"]) == str(tmp_path / "diagnostics_report")


def test_recorded_findings_on_request_and_curvature_in_the_report(tmp_path, capsys):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    report_lib.save_run(_run_with_stall(), run_dir / "run.json")
    assert main([str(run_dir), "--format", "json", "--recorded"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["source"] == "recorded"
    assert [f["kind"] for f in payload["findings"]] == ["overfitting", "saddle_point"]
    report = open(payload["report"]).read()
    assert "Curvature at stalls" in report and "| 6 | -1 | 2 | 12 |" in report
    assert os.path.isfile(os.path.join(os.path.dirname(payload["report"]), "curvature.png"))


# Gradients that fade by five decades towards the input while the loss stays at chance.
_VANISHING = {"loss": [2.3] * 6, "grad_norm/dense": [1e-9] * 6, "grad_norm/dense_1": [1e-7] * 6,
              "grad_norm/dense_2": [1e-5] * 6, "grad_norm/out": [0.3] * 6}
_HEALTHY = {"loss": [2.3, 1.2, 0.7, 0.45, 0.33, 0.27], "val_loss": [2.3, 1.25, 0.78, 0.55, 0.45, 0.41],
            "grad_norm/dense": [0.2, 0.15, 0.12, 0.1, 0.09, 0.08], "grad_norm/out": [0.4, 0.3, 0.25, 0.2, 0.18, 0.16]}


def _judge_saved(tmp_path, capsys, history, findings=(), extra_args=()):
    run = {"history": history, "findings": list(findings), "meta": {"model": "mlp"}, "extras": {}}
    report_lib.save_run(run, tmp_path / "run.json")
    assert main([str(tmp_path / "run.json"), "--format", "json", *extra_args]) == 0
    return json.loads(capsys.readouterr().out)


def test_run_json_is_judged_again_with_the_current_detectors(tmp_path, capsys):
    payload = _judge_saved(tmp_path, capsys, _VANISHING)  # recorded: no finding at all
    assert payload["source"] == "judged"
    assert "vanishing_gradient" in {f["kind"] for f in payload["findings"]}
    payload = _judge_saved(tmp_path, capsys, _VANISHING, extra_args=["--recorded"])
    assert payload["source"] == "recorded" and payload["findings"] == []


def test_healthy_run_json_judged_again_stays_quiet(tmp_path, capsys):
    stale = Finding("oscillation", "warning", 1, None, "Recorded by an older version.", {}, [])
    assert _judge_saved(tmp_path, capsys, _HEALTHY, findings=[stale])["findings"] == []


def test_judging_again_keeps_findings_only_the_live_run_could_make(tmp_path, capsys):
    setup = Finding("output_loss_mismatch", "error", 0, "out", "Softmax on one unit.", {}, [])
    payload = _judge_saved(tmp_path, capsys, _HEALTHY, findings=[setup])
    assert [f["kind"] for f in payload["findings"]] == ["output_loss_mismatch"]


@pytest.mark.parametrize("content,match", [
    (None, "no such file"),
    ("{not json", "not valid JSON"),
    ('{"history": {}}', "no training history"),
    ('{"history": {"loss": [1.0]}, "findings": [{"kind": "bogus"}]}', "not a run.json"),
])
def test_bad_input_is_a_clear_error(tmp_path, capsys, content, match):
    path = tmp_path / "run.json"
    if content is not None:
        path.write_text(content)
    assert main([str(path)]) == 2
    assert match in capsys.readouterr().err


def test_malformed_csv(tmp_path, capsys):
    path = tmp_path / "log.csv"
    path.write_text("epoch,accuracy\n0,0.5\n")
    assert main([str(path)]) == 2
    assert "'loss' column" in capsys.readouterr().err
    path.write_text("epoch,loss\n0,abc\n")
    assert main([str(path)]) == 2
    assert "not a number" in capsys.readouterr().err


def test_module_entry_point_with_help_and_a_real_csv_logger(tmp_path):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    x, y = np.random.default_rng(0).standard_normal((32, 3)).astype("float32"), np.zeros(32, int)
    csv_path = tmp_path / "log.csv"
    model.fit(x, y, epochs=4, verbose=0, validation_split=0.25,
              callbacks=[keras.callbacks.CSVLogger(str(csv_path))])
    env = dict(os.environ, PYTHONPATH=os.getcwd(), TF_CPP_MIN_LOG_LEVEL="3")
    helped = subprocess.run([sys.executable, "-m", "diagnostics", "--help"], capture_output=True, text=True, env=env)
    assert helped.returncode == 0 and "CSVLogger" in helped.stdout
    missing = subprocess.run([sys.executable, "-m", "diagnostics", str(tmp_path / "nope.json")],
                             capture_output=True, text=True, env=env)
    assert missing.returncode == 2 and "no such file" in missing.stderr
    assert main([str(csv_path), "--out", str(tmp_path / "r")]) == 0
    assert (tmp_path / "r" / "report.md").is_file()


def test_sections_skip_runs_without_their_data(tmp_path):
    empty = {"history": {}, "findings": [], "meta": {}, "extras": {}}
    assert loss_curves_section(empty, str(tmp_path)) is None
    assert curvature_section(empty, str(tmp_path)) is None
    section = loss_curves_section(_run_with_stall(), str(tmp_path))
    assert "Overfitting from epoch 4" in section.body and "epoch 3" in section.body


def test_csv_with_only_accuracy_columns_judges_overfitting_on_val_accuracy(tmp_path, capsys):
    history = {"loss": [2.0, 1.0, 0.6, 0.4, 0.3, 0.2, 0.15, 0.1],
               "accuracy": [0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 1.0],
               "val_accuracy": [0.5, 0.65, 0.75, 0.74, 0.72, 0.7, 0.69, 0.68]}
    path = tmp_path / "log.csv"
    _write_csv(path, history)
    assert main([str(path)]) == 0
    assert "overfitting from epoch 3" in capsys.readouterr().out


def test_a_csv_file_of_a_resumed_fit_keeps_its_epoch_numbers(tmp_path, capsys):
    # CSVLogger writes Keras' epoch numbers; a fit resumed at initial_epoch=3 starts its file at 3.
    path = tmp_path / "training.csv"
    _write_csv(path, _OVERFIT)
    lines = path.read_text().splitlines()
    path.write_text("\n".join([lines[0]] + [f"{index + 3}," + line.split(",", 1)[1]
                                            for index, line in enumerate(lines[1:])]) + "\n")
    assert main([str(path), "--format", "json", "--out", str(tmp_path / "report")]) == 0
    [finding] = json.loads(capsys.readouterr().out)["findings"]
    assert (finding["kind"], finding["epoch"], finding["evidence"]["best_epoch"]) == ("overfitting", 7, 6)


def test_a_csv_file_whose_epoch_column_holds_no_epoch_number_is_refused(tmp_path, capsys):
    path = tmp_path / "training.csv"
    path.write_text("epoch,loss\nfirst,1.0\n")
    assert main([str(path)]) == 2
    assert "column 'epoch' holds 'first'" in capsys.readouterr().err


def test_the_loss_curves_are_numbered_from_the_first_epoch(tmp_path):
    run = _run_with_stall()
    run["meta"]["first_epoch"] = 3
    run["findings"] = [Finding("overfitting", "warning", 7, None, "Overfitting.", {"best_epoch": 6}, [])]
    section = loss_curves_section(run, str(tmp_path))
    assert "Overfitting from epoch 7; the best weights are those of epoch 6." in section.body
    table = curvature_section(run, str(tmp_path)).body
    assert "| 9 | -1 | 2 |" in table  # the probe of the series' seventh epoch: Keras' epoch 9
