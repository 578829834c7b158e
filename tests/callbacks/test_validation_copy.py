"""`SetupMonitor` (alone and in `TrainingDiagnostics`) finds a validation set that copies the
training set from the row fingerprints of the first epoch, and stays quiet on genuine splits."""

import contextlib

import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits

from callbacks import TrainingDiagnostics, _batch_probe
from callbacks.setup_monitor import SetupMonitor

DIGITS = load_digits()


def _split(seed, train_rows=600, validation_rows=150):
    """A random split of the digits (scaled to [0, 1], float32): (x, y), (x_val, y_val)."""
    order = np.random.default_rng(seed).permutation(len(DIGITS.target))
    x, y = (DIGITS.data[order] / 16).astype("float32"), DIGITS.target[order]
    end = train_rows + validation_rows
    return (x[:train_rows], y[:train_rows]), (x[train_rows:end], y[train_rows:end])


def _copy_kinds(x, y, validation_data, monitor=None, strategy=None, jit_compile=False, batch_size=32):
    """Kinds of the findings about the validation data after one epoch."""
    with strategy.scope() if strategy else contextlib.nullcontext():
        model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(16, activation="relu"),
                                  keras.layers.Dense(10, activation="softmax")])
        model.compile("adam", "sparse_categorical_crossentropy", jit_compile=jit_compile)
    monitor = monitor or SetupMonitor()
    model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0, validation_data=validation_data,
              callbacks=[monitor])
    return [f.kind for f in monitor.findings]


def _shuffled_copy(x, y, seed):
    order = np.random.default_rng(seed + 100).permutation(len(x))
    return x[order], y[order]


@pytest.mark.parametrize("seed, jit_compile, batch_size", [
    (0, False, 32), (1, False, 32), (2, False, 32), (0, True, 32), (1, True, 7),
    pytest.param(2, True, 7, marks=pytest.mark.slow),
    (0, False, 1),
])
def test_a_shuffled_copy_of_the_training_set_is_found(seed, jit_compile, batch_size):
    (x, y), _ = _split(seed)
    kinds = _copy_kinds(x, y, _shuffled_copy(x, y, seed), jit_compile=jit_compile, batch_size=batch_size)
    assert kinds == ["suspicious_config"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_genuine_split_is_quiet(seed):
    (x, y), validation_data = _split(seed)
    assert _copy_kinds(x, y, validation_data) == []


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_split_with_three_percent_duplicates_is_quiet(seed):
    (x, y), (x_val, y_val) = _split(seed, validation_rows=200)
    x_val, y_val = x_val.copy(), y_val.copy()
    x_val[:6], y_val[:6] = x[:6], y[:6]  # 3% of the validation rows are training rows
    assert _copy_kinds(x, y, (x_val, y_val)) == []


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_training_diagnostics_reports_the_copy(seed):
    (x, y), _ = _split(seed)
    monitor = TrainingDiagnostics()
    kinds = _copy_kinds(x, y, _shuffled_copy(x, y, seed), monitor=monitor)
    assert kinds.count("suspicious_config") == 1
    copy = next(f for f in monitor.findings if f.kind == "suspicious_config")
    assert copy.epoch == 0 and copy.evidence["validation_rows_in_training"] == 1.0


def test_two_replicas_find_the_copy(mirrored_strategy):
    (x, y), _ = _split(0)
    monitor = SetupMonitor()
    assert _copy_kinds(x, y, _shuffled_copy(x, y, 0), monitor, strategy=mirrored_strategy) == [
        "suspicious_config"]
    assert monitor.findings[0].evidence["training_coverage"] == 1.0


@pytest.mark.parametrize("fingerprinted_rows, expected", [(480, ["suspicious_config"]), (300, [])])
def test_a_copy_is_judged_only_when_the_fingerprints_cover_enough_of_the_epoch(
        monkeypatch, fingerprinted_rows, expected):
    # 600 training rows in 19 steps of 32: 480 rows cover 79% of the epoch (judged), 300 only 49%
    # (not judged; the 256 probe rows alone share too few rows with the first validation rows).
    monkeypatch.setattr(_batch_probe, "DEFAULT_FINGERPRINT_ROWS", fingerprinted_rows)
    (x, y), _ = _split(0)
    monitor = SetupMonitor()
    assert _copy_kinds(x, y, _shuffled_copy(x, y, 0), monitor) == expected
    if expected:
        assert monitor.findings[0].evidence["training_coverage"] == pytest.approx(480 / 608)
