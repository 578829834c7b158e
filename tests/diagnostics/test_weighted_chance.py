"""`class_weight` (and sample weights) scale what a guess scores: Keras averages the weighted
losses over the rows, so the chance loss the judge reads against is chance x the mean weight."""

import math
import warnings

import keras
import numpy as np
import pytest
from sklearn.datasets import make_classification

from callbacks import TrainingDiagnostics
from callbacks._guard import NotJudgedWarning
from diagnostics import judge

WEIGHTS = {0: 1.0, 1: 10.0}


def _record(loss, train_weight):
    counts = {"train_labels": [900, 100], "train_predicted": [900, 100], "train_weight": train_weight}
    return {"history": {"loss": loss},
            "meta": {"monitors": ["GeneralizationMonitor", "ImbalanceMonitor"], "chance_loss": math.log(2)},
            "extras": {"GeneralizationMonitor": {"validated_epochs": []},
                       "ImbalanceMonitor": {"epoch_counts": [counts] * len(loss)}}}


def test_a_weighted_loss_is_read_against_the_weighted_chance():
    loss = [0.80, 0.78, 0.76, 0.75, 0.75]  # 1.1 x log 2, but 0.58 of the weighted chance 1.9 x log 2
    assert judge(_record(loss, [1900.0, 1000.0])) == []
    assert [f.kind for f in judge(_record(loss, [1000.0, 1000.0]))] == ["underfitting"]  # unweighted


def _fit(seed):
    x, y = make_classification(2000, 20, weights=[0.9, 0.1], random_state=seed)
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((20,)), keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy")
    diagnostics = TrainingDiagnostics(verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotJudgedWarning)
        model.fit(x[:1600], y[:1600], epochs=6, batch_size=32, class_weight=WEIGHTS, validation_data=(x[1600:], y[1600:]),
                  shuffle=True, verbose=0, callbacks=[diagnostics])
    return y[:1600], diagnostics


def test_the_probe_sums_the_class_weights_of_the_training_rows():
    y, diagnostics = _fit(0)
    counts = diagnostics.run()["extras"]["ImbalanceMonitor"]["epoch_counts"]
    expected = [float(sum(WEIGHTS[label] for label in y)), float(len(y))]
    assert all(c["train_weight"] == pytest.approx(expected) for c in counts)
    per_class = [float(np.sum(y == label)) * weight for label, weight in WEIGHTS.items()]
    assert all(c["train_weighted_labels"] == pytest.approx(per_class) for c in counts)


def _skewed_record(weighted, recall_of_the_rare_class=0.8):
    """A run on 2,936 rows of class 0 and 64 of class 1 (46:1), with `weighted` as the summed
    sample weights of each class, and the rare class's validation recall."""
    counts = {"train_labels": [2936, 64], "train_predicted": [2700, 300], "train_weight": [sum(weighted), 3000.0],
              "train_weighted_labels": weighted, "val_labels": [983, 17],
              "val_correct": [900, round(17 * recall_of_the_rare_class)]}
    return {"history": {"loss": [0.6, 0.4, 0.3]},
            "meta": {"monitors": ["ImbalanceMonitor"], "chance_loss": math.log(2)},
            "extras": {"ImbalanceMonitor": {"class_counts": [[0, 2936], [1, 64]], "epoch_counts": [counts] * 3}}}


def test_a_skew_that_class_weights_even_out_is_judged_by_what_the_model_does():
    # 'balanced' class weights: 3000 / (2 x count) per row, 1,500 per class.
    assert [f.kind for f in judge(_skewed_record([2936.0, 64.0]))] == ["class_imbalance"]   # unweighted
    assert judge(_skewed_record([1500.0, 1500.0])) == []
    assert judge(_skewed_record([2936.0, 64.0 * 10])) != []                               # still 4.6:1
    [finding] = judge(_skewed_record([1500.0, 1500.0], recall_of_the_rare_class=0.0))
    assert finding.evidence["zero_recall_classes"] == 1                                   # it still neglects it


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_class_weights_for_the_rare_class_train_healthy_and_get_no_finding(seed):
    _, diagnostics = _fit(seed)
    assert diagnostics.history["loss"][-1] < 0.5 * math.log(2) * np.mean([1.0] * 9 + [10.0])
    assert diagnostics.findings == []
