"""NaN or inf in the validation data: a validation loss that is not a number while training is
healthy, named as the validation data's fault, only at epochs that validated."""

import math

import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits

from callbacks import TrainingDiagnostics
from diagnostics.generalization import detect_non_finite_validation

NAN = math.nan


@pytest.mark.parametrize("val_loss, validated, expected_epoch", [
    ([NAN, NAN, NAN], [0, 1, 2], 0),
    ([0.8, math.inf, NAN], [0, 1, 2], 1),
    ([NAN, NAN, NAN, NAN], [1, 3], 1),      # validation_freq=2: epochs 0 and 2 were never validated
])
def test_the_first_validated_epoch_with_a_non_finite_loss_is_named(val_loss, validated, expected_epoch):
    history = {"loss": [0.9, 0.6, 0.4, 0.3][: len(val_loss)], "val_loss": val_loss}
    [finding] = detect_non_finite_validation(history, validated)
    assert (finding.kind, finding.severity, finding.epoch) == ("non_finite", "error", expected_epoch)
    assert finding.evidence["epoch_loss"] == history["loss"][expected_epoch]


@pytest.mark.parametrize("history, validated", [
    ({"loss": [0.9, 0.6], "val_loss": [NAN, NAN]}, []),                # never validated (padding)
    ({"loss": [0.9, 0.6], "val_loss": [NAN, NAN]}, None),              # unknown: nothing judged
    ({"loss": [NAN, NAN], "val_loss": [NAN, NAN]}, [0, 1]),            # training went non-finite too
    ({"loss": [0.9, 0.6], "val_loss": [1.0, 0.7]}, [0, 1]),            # healthy
])
def test_no_finding_where_validation_was_not_run_or_training_broke_first(history, validated):
    assert detect_non_finite_validation(history, validated) == []


def _fit(broken_rows, seed):
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype("float32")
    x_val, y_val = x[1400:].copy(), y[1400:]
    x_val[:broken_rows, 3] = np.nan  # a failed join: a few validation rows lost a feature
    keras.utils.set_random_seed(seed)
    # tanh passes NaN on whatever the CPU's kernels do (a fused ReLU may map it to 0).
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(32, activation="tanh"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    diagnostics = TrainingDiagnostics(verbose=0)
    model.fit(x[:1400], y[:1400], epochs=3, batch_size=32, validation_data=(x_val, y_val), verbose=0,
              callbacks=[diagnostics])
    return diagnostics.findings


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_five_broken_validation_rows_are_named_and_dropping_them_is_healthy(seed):
    [finding] = _fit(5, seed)
    assert (finding.kind, finding.epoch, finding.layer) == ("non_finite", 0, None)
    assert [(r.action, r.applicable) for r in finding.remedies] == [("fix_data", False)]
    assert _fit(0, seed) == []
