"""A run the user's own `EarlyStopping` ended when the validation loss rose: the overfitting it
caught is handled, so it is no finding; the same run without it overfits and is told so."""

import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits

from diagnostics import judge
from diagnostics.generalization import STOPPED_EARLY_WINDOW, detect_overfitting
from tests.diagnostics._diagnosed_fit import diagnosed_fit

L = keras.layers
EPOCHS = 60


def _overfitting_history(epochs_after_best):
    """Validation loss best at epoch 4, then rising for `epochs_after_best` epochs; training loss falling."""
    epochs = 5 + epochs_after_best
    return {"loss": list(np.linspace(2.0, 0.05, epochs)),
            "val_loss": [2.0, 1.5, 1.1, 0.9, 0.8] + [0.8 + 0.05 * (i + 1) for i in range(epochs_after_best)]}


def test_a_rise_caught_within_the_window_by_a_stopped_run_is_no_finding():
    for after in (3, STOPPED_EARLY_WINDOW):
        history = _overfitting_history(after)
        assert [f.kind for f in detect_overfitting(history)] == ["overfitting"]
        assert detect_overfitting(history, stopped_early=True) == []
    # A rise that went on longer than any patience was not what stopped the run.
    assert [f.kind for f in detect_overfitting(_overfitting_history(STOPPED_EARLY_WINDOW + 1), stopped_early=True)] \
        == ["overfitting"]


def test_the_judge_reads_it_from_the_generalization_monitor():
    record = {"history": _overfitting_history(4), "meta": {"monitors": ["GeneralizationMonitor"], "chance_loss": 2.3},
              "extras": {"GeneralizationMonitor": {"monitor": "val_loss", "stopped_early": False}}}
    assert [f.kind for f in judge(record)] == ["overfitting"]
    record["extras"]["GeneralizationMonitor"]["stopped_early"] = True
    assert judge(record) == []


def _digits_subset():
    """400 training rows with a fifth of their labels redrawn at random, then 100 clean rows that
    `diagnosed_fit`'s `validation_split=0.2` holds out."""
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype("float32")
    rng = np.random.default_rng(0)
    noisy = y[:400].copy()
    flip = rng.random(400) < 0.2
    noisy[flip] = rng.integers(0, 10, flip.sum())
    return np.concatenate([x[:400], x[1000:1100]]), np.concatenate([noisy, y[1000:1100]])


def _fit(seed, callbacks=()):
    x, y = _digits_subset()
    build = lambda: keras.Sequential([keras.Input((64,)), L.Dense(256, activation="relu"),  # noqa: E731
                                      L.Dense(256, activation="relu"), L.Dense(10, activation="softmax")])
    return diagnosed_fit(build, x, y, seed=seed, epochs=EPOCHS, callbacks=list(callbacks))


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_early_stopping_with_restore_leaves_nothing_to_report_and_the_run_without_it_overfits(seed):
    history, findings = _fit(seed)
    assert len(history["loss"]) == EPOCHS and [f.kind for f in findings] == ["overfitting"]
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=6, restore_best_weights=True)
    history, findings = _fit(seed, [stop])
    assert len(history["loss"]) < EPOCHS  # it stopped early
    assert findings == []
