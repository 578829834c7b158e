"""Batches of one class (data fed in label order, not shuffled): the probe's count against NumPy,
the shuffled expectation against an exact enumeration, and the verdict on real fits."""

import itertools
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf
from sklearn.datasets import load_digits

from callbacks import TrainingDiagnostics
from callbacks._guard import NotJudgedWarning
from diagnostics.batch_order import detect_unshuffled_batches, shuffled_majority_share


def _exact_majority_share(proportions, size):
    """E[most common label's rows] / size over every ordered batch of `size` draws."""
    expected = 0.0
    for batch in itertools.product(range(len(proportions)), repeat=size):
        probability = np.prod([proportions[label] for label in batch])
        expected += probability * max(batch.count(label) for label in set(batch))
    return expected / size


@pytest.mark.parametrize("counts, size", [([1, 1], 2), ([1, 1, 1], 4), ([3, 1], 5), ([2, 1, 1], 3)])
def test_the_shuffled_share_matches_an_exact_enumeration(counts, size):
    proportions = np.asarray(counts) / sum(counts)
    assert shuffled_majority_share(counts, size) == pytest.approx(_exact_majority_share(proportions, size), abs=0.015)


def _counts(labels, majority):
    return {"train_labels": np.asarray(labels), "train_majority": np.asarray(majority)}


@pytest.mark.parametrize("counts", [
    [_counts([180] * 10, [345, 1800, 57])],           # ten classes shuffled: about 19% per batch
    [_counts([1710, 90], [1710, 1800, 57])],          # 19:1: random batches are (nearly) one class as well
    [_counts([900, 900], [1200, 1800, 57])],          # two classes: 67% is within the shuffled range
    [None, _counts([180] * 10, [0, 0, 0])],           # nothing counted
])
def test_no_finding_where_shuffled_batches_would_look_the_same(counts):
    assert detect_unshuffled_batches(counts) == []


def test_sorted_batches_are_named_with_both_shares():
    [finding] = detect_unshuffled_batches([None, _counts([180] * 10, [1708, 1800, 57])])
    assert (finding.kind, finding.epoch, finding.evidence["needs_consequence"]) == ("suspicious_config", 1, True)
    assert finding.evidence["batch_majority_share"] == pytest.approx(1708 / 1800)
    assert finding.evidence["shuffled_majority_share"] == pytest.approx(0.19, abs=0.02)


def _digits():
    x, y = load_digits(return_X_y=True)
    order = np.argsort(y, kind="stable")
    return (x[order] / 16.0).astype("float32"), y[order]


def _fit(shuffle, seed, epochs=4):
    x, y = _digits()
    keras.utils.set_random_seed(seed)
    dataset = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        dataset = dataset.shuffle(len(x), seed=seed)
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    diagnostics = TrainingDiagnostics(verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotJudgedWarning)
        model.fit(dataset.batch(32), epochs=epochs, verbose=0, callbacks=[diagnostics])
    return diagnostics


def test_the_probe_counts_each_batchs_most_common_label():
    x, y = _digits()
    diagnostics = _fit(False, 0, epochs=1)
    [counts] = diagnostics.run()["extras"]["ImbalanceMonitor"]["epoch_counts"]
    batches = [y[start:start + 32] for start in range(0, len(y), 32)]
    assert counts["train_majority"] == [sum(np.bincount(b).max() for b in batches), len(y), len(batches)]


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_digits_in_label_order_lead_with_the_order_and_the_shuffled_twin_is_healthy(seed):
    lead, *effects = _fit(False, seed).findings
    assert lead.kind == "suspicious_config" and lead.evidence["batch_majority_share"] > 0.9
    assert effects and all(f.explained_by == "suspicious_config" for f in effects)
    assert lead.remedies[0].action == "fix_data"
    assert _fit(True, seed).findings == []
