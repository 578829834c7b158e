"""`class_imbalance` findings: the pure detectors, and the monitor on imbalanced vs balanced data."""

import math

import keras
import numpy as np
import pytest

from callbacks.imbalance_monitor import ImbalanceMonitor
from diagnostics import Finding
from diagnostics.imbalance import (
    detect_class_imbalance,
    detect_label_skew,
    detect_unpredicted_classes,
    label_counts,
    per_class_recall,
)


def test_label_skew_is_found_with_its_evidence_and_remedies():
    (finding,) = detect_label_skew({0: 950, 1: 50})
    assert finding.kind == "class_imbalance" and finding.severity == "warning" and finding.epoch == 0
    assert finding.evidence["imbalance_ratio"] == pytest.approx(19.0)
    assert finding.evidence["minority_fraction"] == pytest.approx(0.05)
    advice = " ".join(finding.advice)
    for remedy in ("balanced_dataset", "SMOTE", "effective_number", "LogitAdjusted", "LDAM", "Focal"):
        assert remedy in advice
    assert Finding.from_dict(finding.to_dict()) == finding


def test_balanced_or_mildly_skewed_labels_are_fine():
    assert detect_label_skew({0: 100, 1: 100, 2: 100}) == []
    assert detect_label_skew({0: 120, 1: 100}) == []
    assert detect_label_skew({0: 299, 1: 100}) == []
    assert len(detect_label_skew({0: 300, 1: 100})) == 1


def test_a_class_without_samples_is_an_error():
    (finding,) = detect_label_skew({0: 10, 1: 0})
    assert finding.severity == "error" and math.isinf(finding.evidence["imbalance_ratio"])


def test_a_class_never_predicted_up_to_the_end_is_an_error_from_the_start_of_its_run():
    history = {"val_recall/0": [1.0, 1.0, 1.0, 1.0], "val_recall/1": [0.2, 0.0, 0.0, 0.0], "loss": [1, 1, 1, 1]}
    (finding,) = detect_unpredicted_classes(history, class_counts={0: 95, 1: 5})
    assert finding.severity == "error" and finding.epoch == 1
    assert finding.evidence == {
        "recall/1": 0.0,
        "epochs_unpredicted/1": 3,
        "train_count/1": 5,
        "train_fraction/1": 0.05,
    }


def test_a_class_that_recovers_or_was_not_measured_is_not_reported():
    assert detect_unpredicted_classes({"val_recall/1": [0.0, 0.0, 0.4]}) == []
    assert detect_unpredicted_classes({"val_recall/1": [math.nan, math.nan]}) == []
    (finding,) = detect_unpredicted_classes({"val_recall/1": [0.5, 0.0, math.nan, 0.0]})
    assert finding.epoch == 1


def test_detect_class_imbalance_combines_both_one_finding_per_epoch():
    findings = detect_class_imbalance({"val_recall/1": [0.5, 0.0]}, {0: 90, 1: 10})
    assert [(f.severity, f.epoch) for f in findings] == [("warning", 0), ("error", 1)]
    history = {"val_recall/1": [0.0, 0.0], "val_recall/2": [0.0, 0.0], "val_recall/0": [1.0, 1.0]}
    (merged,) = detect_class_imbalance(history, {0: 90, 1: 6, 2: 4})
    assert merged.severity == "error" and merged.epoch == 0
    assert {"imbalance_ratio", "recall/1", "recall/2"} <= set(merged.evidence)
    assert "class 1" in merged.message and "class 2" in merged.message
    assert detect_class_imbalance() == []


def test_label_counts_and_recall_helpers():
    assert label_counts(np.array([0, 1, 1, 2])) == {0: 1, 1: 2, 2: 1}
    assert label_counts(np.eye(3)[[0, 0, 2]]) == {0: 2, 1: 0, 2: 1}
    recall = per_class_recall([0, 0, 1, 1], [0, 1, 0, 0], classes=[0, 1, 2])
    assert recall[0] == 0.5 and recall[1] == 0.0 and math.isnan(recall[2])


def _data(minority, n=400, seed=0):
    rng = np.random.RandomState(seed)
    y = (rng.rand(n) < minority).astype(np.int64)
    x = rng.normal(size=(n, 4)).astype(np.float32) + 0.3 * y[:, None]  # barely separable
    return x, y


def _fit(monitor, x, y, epochs=4):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.compile(keras.optimizers.SGD(0.5), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(x, y, epochs=epochs, batch_size=100, verbose=0, callbacks=[monitor])
    return history


def test_monitor_finds_imbalance_and_an_unpredicted_minority():
    x, y = _data(minority=0.05)
    monitor = ImbalanceMonitor(y=y, validation_data=(x, y))
    history = _fit(monitor, x, y)
    assert {f.kind for f in monitor.findings} == {"class_imbalance"}
    evidence = {key for finding in monitor.findings for key in finding.evidence}
    assert "imbalance_ratio" in evidence  # the label skew
    assert "recall/1" in evidence and monitor.findings[-1].severity == "error"  # never predicted
    assert history.history["val_recall/1"][-1] == 0.0
    assert len(history.history["val_recall/0"]) == 4


def test_monitor_is_quiet_on_balanced_data():
    x, y = _data(minority=0.5)
    x = x + np.where(y[:, None] == 1, 2.0, -2.0).astype(np.float32)  # separable
    monitor = ImbalanceMonitor(y=y, validation_data=(x, y))
    _fit(monitor, x, y)
    assert monitor.findings == []


def test_monitor_reads_labels_from_a_dataset_and_does_nothing_without_data():
    import tensorflow as tf

    x, y = _data(minority=0.05)
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(64)
    monitor = ImbalanceMonitor(y=dataset, validation_data=dataset, every=2)
    history = _fit(monitor, x, y)
    assert monitor.class_counts == {0: int((y == 0).sum()), 1: int((y == 1).sum())}
    assert math.isnan(history.history["val_recall/1"][1])  # measured on epochs 0 and 2 only
    idle = ImbalanceMonitor()
    history = _fit(idle, x, y, epochs=1)
    assert idle.findings == [] and not any(k.startswith("val_recall") for k in history.history)


def test_monitor_bad_arguments():
    with pytest.raises(ValueError, match="Received: every=0"):
        ImbalanceMonitor(every=0)
    with pytest.raises(ValueError, match="Received: validation_data="):
        ImbalanceMonitor(validation_data=np.zeros(3))


def test_monitor_inside_training_diagnostics_reports_in_run_json(tmp_path):
    import json

    from callbacks.training_diagnostics import TrainingDiagnostics

    x, y = _data(minority=0.05)
    monitor = ImbalanceMonitor(y=y, validation_data=(x, y))
    diagnostics = TrainingDiagnostics(monitors=[monitor], report_dir=tmp_path, verbose=0)
    _fit(diagnostics, x, y)
    run = json.loads((tmp_path / "run.json").read_text())
    assert any(f["kind"] == "class_imbalance" and f["severity"] == "error" for f in run["findings"])
    assert len(run["history"]["val_recall/1"]) == 4
