"""BatchNormalization trained on batches of one row: each BN layer outputs its beta, nothing below
it learns, and the judge names the batch size as the cause."""

import keras
import numpy as np
import pytest

from callbacks.setup_monitor import _batch_size
from diagnostics.setup_model import check_batchnorm_batch_size
from tests.diagnostics._diagnosed_fit import fit_under_diagnostics, scaled_digits

L = keras.layers


def _mlp():
    model = keras.Sequential([keras.Input((64,)), L.Dense(32), L.BatchNormalization(name="bn"), L.Activation("relu"),
                              L.Dense(10, activation="softmax")])
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    return model


def test_trainable_batchnorm_layers_at_batch_size_one_are_named():
    model = _mlp()
    assert [f.evidence["batchnorm_layers"] for f in check_batchnorm_batch_size(model, 1)] == [["bn"]]
    assert check_batchnorm_batch_size(model, 2) == check_batchnorm_batch_size(model, None) == []
    model.get_layer("bn").trainable = False  # frozen: it normalizes with its moving statistics
    assert check_batchnorm_batch_size(model, 1) == []


def test_the_batch_size_is_read_only_when_every_batch_held_as_many_rows():
    assert _batch_size(np.array([40, 40, 40])) == 1
    assert _batch_size(np.array([300, 1400, 44])) is None  # 1400 rows in 44 steps: a short last batch
    assert _batch_size(np.array([500, 1408, 44])) == 32
    assert _batch_size(None) is None


def _fit(seed, batch_size):
    x, y = scaled_digits()
    keras.utils.set_random_seed(seed)
    model = _mlp()
    history, diagnostics = fit_under_diagnostics(model, x[:300], y[:300], epochs=6, batch_size=batch_size,
                                                 validation_data=(x[1400:], y[1400:]))
    return history, diagnostics.findings


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_batches_of_one_lead_with_the_batchnorm_and_batches_of_20_are_healthy(seed):
    history, findings = _fit(seed, batch_size=1)
    assert min(history["loss"]) > 0.9 * np.log(10)  # the fault: nothing below the BN layer learns
    assert (findings[0].kind, findings[0].evidence.get("batchnorm_batch_size")) == ("suspicious_config", 1)
    assert findings[0].remedies[0].params == {"batch_size": 32}
    history, findings = _fit(seed, batch_size=20)
    assert findings == []
