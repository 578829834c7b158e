"""Reports from runs: sections, plots, and runs saved as JSON."""

import math

from diagnostics import Finding, Section, load_run, save_run, write_report
from diagnostics.report_sections import summary_section
from diagnostics.section import layer_series


def _run():
    history = {
        "loss": [2.0, 1.0, math.nan],
        "grad_norm/a": [1e-8, 1e-8, 1e-9],
        "grad_norm/b": [0.5, 0.4, 0.3],
        "dead_frac/a": [0.0, 0.6, 0.7],
        "saturated_frac/c": [math.nan, 0.2, 0.9],
    }
    finding = Finding("vanishing_gradient", "error", 0, "a", "Vanished.", {"ratio": 2e-8}, ["Use ReLU."])
    return {"history": history, "findings": [finding], "meta": {"model": "m"}, "extras": {"x": {"y": 1}}}


def test_report_has_findings_heatmap_and_activation_plot(tmp_path):
    path = write_report(_run(), tmp_path)
    text = open(path).read()
    assert text.startswith("# Training diagnostics: m")
    assert "vanishing_gradient" in text and "Use ReLU." in text and "ratio = 2e-08" in text
    for image in ("gradient_norms.png", "activation_health.png"):
        assert f"]({image})" in text
        assert (tmp_path / image).stat().st_size > 1000


def test_a_section_added_by_another_module_is_rendered(tmp_path):
    def loss_section(run, out_dir):
        return Section("Loss", f"{len(run['history']['loss'])} epochs")

    def empty_section(run, out_dir):
        return None

    text = open(write_report(_run(), tmp_path, sections=[loss_section, empty_section])).read()
    assert "## Loss\n\n3 epochs" in text and text.count("## ") == 1


def test_run_round_trips_through_json_with_non_finite_values(tmp_path):
    run = _run()
    save_run(run, tmp_path / "run.json")
    loaded = load_run(tmp_path / "run.json")
    assert loaded["findings"] == run["findings"]
    assert math.isnan(loaded["history"]["loss"][2])
    assert loaded["extras"] == run["extras"]


def test_layer_series_keeps_logging_order_and_pads():
    layers, values = layer_series({"grad_norm/z": [1.0, 2.0], "grad_norm/a": [3.0]}, "grad_norm")
    assert layers == ["z", "a"] and values.shape == (2, 2) and math.isnan(values[1, 1])


def test_setup_findings_lead_the_findings(tmp_path):
    run = _run()
    setup = Finding("output_loss_mismatch", "error", 0, "out", "Softmax on one unit.", {}, ["Use sigmoid."])
    run["findings"] = run["findings"] + [setup]  # recorded after the behavioural one
    text = open(write_report(run, tmp_path)).read()
    assert text.index("### Setup") < text.index("output_loss_mismatch") < text.index("### Training")
    assert text.index("### Training") < text.index("vanishing_gradient")


def test_what_was_not_judged_is_reported_and_saved(tmp_path):
    run = _run()
    run["skipped"] = [{"monitor": "ActivationMonitor", "hook": "on_epoch_end", "reason": "RuntimeError: boom"}]
    save_run(run, tmp_path / "run.json")
    assert load_run(tmp_path / "run.json")["skipped"] == run["skipped"]
    text = open(write_report(run, tmp_path)).read()
    assert "## Not judged" in text
    assert "**ActivationMonitor** (in `on_epoch_end`): RuntimeError: boom" in text
    assert "Not judged" not in open(write_report(_run(), tmp_path / "clean")).read()


def test_the_summary_says_where_a_resumed_fit_started(tmp_path):
    resumed = {"history": {"loss": [1.0, 0.5]}, "meta": {"epochs_run": 2, "first_epoch": 3}}
    assert "- **first_epoch**: 3 (a resumed fit" in summary_section(resumed, str(tmp_path)).body
    fresh = {"history": {"loss": [1.0, 0.5]}, "meta": {"epochs_run": 2, "first_epoch": 0}}
    assert "first_epoch" not in summary_section(fresh, str(tmp_path)).body
