"""Validation labels spelled differently from the training labels (shifted by one, inverted):
the model sorts the validation rows well under other names. Named as `label_mismatch`, which
explains the validation loss rising from the first epoch; quiet on a model that is merely poor."""

import itertools
import keras
import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer, load_digits

from diagnostics.validation_labels import detect_relabelled_validation, matched_accuracy
from tests.diagnostics._diagnosed_fit import SEEDS_SLOW_AFTER_FIRST, fit_under_diagnostics

L = keras.layers


@pytest.mark.parametrize("seed", range(5))
def test_matched_accuracy_finds_the_best_renaming_of_a_dominant_permutation(seed):
    rng = np.random.default_rng(seed)
    k = 5
    matrix = rng.integers(0, 4, size=(k, k))
    order = rng.permutation(k)
    matrix[np.arange(k), order] += rng.integers(30, 60, size=k)
    best = max(sum(matrix[i, p[i]] for i in range(k)) for p in itertools.permutations(range(k)))
    accuracy, matched, pairs = matched_accuracy(matrix)
    assert matched == pytest.approx(best / matrix.sum())  # brute force over all 120 renamings
    assert accuracy == pytest.approx(np.trace(matrix) / matrix.sum())
    assert sorted((label, predicted) for label, predicted, _ in pairs) == list(enumerate(order))


def test_a_poor_model_or_one_that_always_says_one_class_is_no_renaming():
    rng = np.random.default_rng(0)
    assert detect_relabelled_validation(rng.integers(5, 15, size=(10, 10))) == []   # guessing
    assert detect_relabelled_validation([[0, 50], [0, 50]]) == []                   # one class always
    assert detect_relabelled_validation([[45, 5], [10, 40]]) == []                  # a good model
    [finding] = detect_relabelled_validation([[5, 45], [40, 10]])                   # inverted labels
    assert finding.evidence["matched_accuracy"] == 0.85


def _fit(x, y, x_val, y_val, seed, units):
    keras.utils.set_random_seed(seed)
    head = L.Dense(units, activation="softmax" if units > 1 else "sigmoid")
    model = keras.Sequential([keras.Input((x.shape[1],)), L.Dense(32, activation="relu"), head])
    model.compile(keras.optimizers.Adam(3e-3),
                  "sparse_categorical_crossentropy" if units > 1 else "binary_crossentropy")
    history, diagnostics = fit_under_diagnostics(model, x, y, validation_data=(x_val, y_val), epochs=8,
                                                 batch_size=32)
    return history, diagnostics.findings


def _split(x, y, seed, cut):
    x = ((x - x.mean(0)) / (x.std(0) + 1e-6)).astype("float32")
    order = np.random.default_rng(seed).permutation(len(x))
    return x[order][:cut], y[order][:cut], x[order][cut:], y[order][cut:]


@pytest.mark.parametrize("seed", SEEDS_SLOW_AFTER_FIRST)
def test_validation_labels_shifted_by_one_class_lead_as_label_mismatch(seed):
    x, y, x_val, y_val = _split(*load_digits(return_X_y=True), seed, 1400)
    history, findings = _fit(x, y, x_val, (y_val + 1) % 10, seed, 10)
    assert history["val_loss"][-1] > history["val_loss"][0] > history["loss"][-1]  # it happened
    lead = findings[0]
    assert (lead.kind, lead.evidence["renamed_classes"]) == ("label_mismatch", 10)
    assert lead.remedies[0].action == "fix_labels"
    _, findings = _fit(x, y, x_val, y_val, seed, 10)  # the same labels in both splits
    assert "label_mismatch" not in [f.kind for f in findings]


@pytest.mark.parametrize("seed", SEEDS_SLOW_AFTER_FIRST)
def test_inverted_binary_validation_labels_lead_as_label_mismatch(seed):
    x, y, x_val, y_val = _split(*load_breast_cancer(return_X_y=True), seed, 420)
    _, findings = _fit(x, y.astype("float32"), x_val, (1 - y_val).astype("float32"), seed, 1)
    assert findings[0].kind == "label_mismatch" and findings[0].evidence["validation_accuracy"] < 0.2
