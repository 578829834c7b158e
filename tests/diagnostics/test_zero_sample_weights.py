"""Sample weights that are all 0 (a mask such as `(y == 10)` on digits 0-9): the weighted loss is
exactly 0 and nothing trains; the judge names the weights as the cause."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from diagnostics.setup_data import MIN_ROWS_COPY, check_sample_weights
from tests.diagnostics._diagnosed_fit import fit_under_diagnostics, scaled_digits

L = keras.layers


def test_all_zero_weights_are_an_error_and_any_nonzero_one_is_not():
    assert [(f.kind, f.severity, f.evidence["zero_sample_weights"]) for f in check_sample_weights(np.zeros(40))] == [
        ("suspicious_config", "error", 40)]
    one = np.zeros(40)
    one[7] = 0.5
    assert check_sample_weights(one) == []
    assert check_sample_weights(np.zeros(MIN_ROWS_COPY - 1)) == []  # too few rows to say
    assert check_sample_weights(None) == []


def _fit(seed, weighted):
    x, y = scaled_digits()
    rows = (x[:1400], y[:1400], (y[:1400] == 10).astype("float32")) if weighted else (x[:1400], y[:1400])
    train = tf.data.Dataset.from_tensor_slices(rows).shuffle(1400, seed=seed).batch(32)
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((64,)), L.Dense(64, activation="relu"), L.Dense(10, activation="softmax")])
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    history, diagnostics = fit_under_diagnostics(model, train, epochs=5, validation_data=(x[1400:], y[1400:]))
    return history, diagnostics.findings


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_mask_that_weighs_every_row_0_leads_and_the_unweighted_fit_is_healthy(seed):
    history, findings = _fit(seed, weighted=True)
    assert max(history["loss"]) == 0.0  # the fault: the weighted loss is exactly 0
    assert [(f.kind, f.explained_by) for f in findings][:2] == [("suspicious_config", None),
                                                                ("zero_gradient", "suspicious_config")]
    assert findings[0].evidence["zero_sample_weights"] >= MIN_ROWS_COPY
    history, findings = _fit(seed, weighted=False)
    assert findings == []


def test_weights_given_per_output_in_several_shapes_are_left_alone():
    assert check_sample_weights([np.zeros(40), np.zeros((40, 3))]) == []
