"""`class_imbalance` findings: the pure detectors, over labels, recall series and class counts."""

import math

import numpy as np
import pytest

from diagnostics import Finding
from diagnostics.imbalance import (
    detect_class_imbalance,
    detect_imbalance_from_counts,
    detect_label_skew,
    detect_unpredicted_classes,
    is_multi_hot,
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


def _counts(labels, predicted, val_labels=None, val_correct=None):
    as_array = lambda values: None if values is None else np.asarray(values, dtype=np.int64)  # noqa: E731
    return {"train_labels": as_array(labels), "train_predicted": as_array(predicted),
            "val_labels": as_array(val_labels), "val_correct": as_array(val_correct)}


def test_long_tail_from_counts_names_the_rare_class():
    labels = [300, 300, 300, 10, 300]  # class 3 at 1/30 of the others
    [finding] = detect_imbalance_from_counts([_counts(labels, [310, 300, 300, 0, 300])] * 3)
    assert finding.evidence["imbalance_ratio"] == pytest.approx(30.0)
    assert "class 3 has 10 samples" in finding.message
    assert finding.evidence["never_predicted"] == 1 and finding.severity == "error"


@pytest.mark.parametrize("labels,predicted", [
    ([640, 0, 0, 0, 0, 0, 0, 0, 0, 0], [64] * 10),  # every label one class
    ([1797, 0], [1797, 0]),  # labels divided by 255: all class 0
])
def test_labels_all_in_one_class_are_an_error(labels, predicted):
    [finding] = detect_imbalance_from_counts([_counts(labels, predicted)] * 2)
    assert finding.severity == "error" and "no training samples" in finding.message


def test_negatives_only_predicted_with_86_percent_negatives():
    epoch = _counts([860, 140], [1000, 0], val_labels=[86, 14], val_correct=[86, 0])
    [finding] = detect_imbalance_from_counts([None, epoch, epoch])
    assert finding.evidence["never_predicted"] == 1 and finding.evidence["zero_recall_classes"] == 1
    assert finding.evidence["val_recall/1"] == 0.0 and "[1]" in finding.message


def test_counts_of_balanced_labels_are_quiet_even_when_a_class_is_not_predicted_yet():
    # A model that has not learned (a tiny learning rate) predicts few classes: not imbalance.
    unlearned = _counts([100] * 10, [1000] + [0] * 9, [10] * 10, [10] + [0] * 9)
    assert detect_imbalance_from_counts([unlearned] * 4) == []
    assert detect_imbalance_from_counts([]) == [] and detect_imbalance_from_counts([None]) == []


def test_counts_a_mild_skew_the_model_predicts_well_is_no_finding():
    learned = _counts([300, 100], [290, 110])  # 3:1, the minority predicted about as often as it occurs
    assert detect_imbalance_from_counts([learned, learned]) == []


def test_counts_a_mild_skew_the_model_predicts_aside_is_reported():
    pushed_aside = _counts([300, 100], [380, 20])  # the minority predicted at a fifth of its share
    [finding] = detect_imbalance_from_counts([pushed_aside, pushed_aside])
    assert finding.evidence["underpredicted"] == 1 and "class(es) [1]" in finding.message


def test_counts_a_strong_skew_is_reported_whatever_the_model_does():
    [finding] = detect_imbalance_from_counts([_counts([300, 300, 20], [300, 300, 20])])
    assert finding.evidence["imbalance_ratio"] == 15.0 and "class 2 has 20 samples" in finding.message


def test_counts_a_spare_output_unit_is_not_a_class_but_one_class_alone_is_reported():
    spare = _counts([200, 180, 0], [190, 190, 0])  # three output units, two balanced classes
    assert detect_imbalance_from_counts([spare]) == []
    [finding] = detect_imbalance_from_counts([_counts([400, 0, 0], [400, 0, 0])])
    assert finding.severity == "error" and "[1, 2] have no training samples" in finding.message


@pytest.mark.parametrize("y, expected", [
    (np.array([[1, 0, 1], [0, 1, 0], [0, 0, 0]]), True),
    (np.array([[1.0, 1.0], [0.0, 1.0]], dtype=np.float32), True),
    (np.eye(4)[[0, 3, 1, 2, 2]], False),  # one-hot: one 1 per row
    (np.array([[0.2, 0.8], [0.6, 0.4]]), False),  # soft labels
    (np.array([0, 2, 1, 1]), False),
    (np.array([[0], [1], [1]]), False),  # one binary column
], ids=["multi_hot", "multi_hot_floats", "one_hot", "soft", "sparse", "binary_column"])
def test_multi_hot_targets_are_told_from_class_labels(y, expected):
    from sklearn.utils.multiclass import type_of_target

    assert is_multi_hot(y) == expected
    # scikit-learn calls every 0/1 matrix (one-hot too) "multilabel-indicator".
    assert not expected or type_of_target(y) == "multilabel-indicator"


def test_epochs_that_counted_no_label_are_not_judged():
    empty = {"train_labels": np.zeros(3, np.int64), "train_predicted": np.zeros(3, np.int64),
             "val_labels": None, "val_correct": None}
    assert detect_imbalance_from_counts([empty, empty]) == []
    skewed = {**empty, "train_labels": np.array([900, 90, 10]), "train_predicted": np.array([1000, 0, 0])}
    assert [f.kind for f in detect_imbalance_from_counts([skewed, empty])] == ["class_imbalance"]
