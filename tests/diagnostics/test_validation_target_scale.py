"""Regression targets transformed for one split only (a log for training, raw values for
validation): the model is scored against targets it was not fitted to. A `label_mismatch` error
that leads the validation gap it makes; quiet when both splits share the transform."""

import keras
import numpy as np
import pytest

from diagnostics.setup_data import MAX_TRAIN_VALIDATION_SCALE_RATIO, check_validation_target_scale
from diagnostics.setup_model import OutputSetup, describe_loss
from tests.diagnostics._diagnosed_fit import SEEDS_SLOW_AFTER_FIRST, fit_under_diagnostics

L = keras.layers
OUTPUT = OutputSetup("out", "out", "linear", 1, describe_loss("mse"))


def test_the_ratio_is_that_of_the_targets_root_mean_squares():
    rng = np.random.default_rng(0)
    prices = rng.lognormal(5.5, 0.6, size=400)
    [finding] = check_validation_target_scale([OUTPUT], [np.log(prices[:300])], [prices[300:]])
    expected = np.sqrt(np.mean(prices[300:] ** 2)) / np.sqrt(np.mean(np.log(prices[:300]) ** 2))
    assert finding.evidence["target_scale_ratio"] == pytest.approx(expected)
    assert check_validation_target_scale([OUTPUT], [np.log(prices[:300])], [np.log(prices[300:])]) == []
    tenfold = prices[300:] * MAX_TRAIN_VALIDATION_SCALE_RATIO * 0.9  # under the limit: a real shift can be this large
    assert check_validation_target_scale([OUTPUT], [prices[:300]], [tenfold]) == []


def _fit(seed, log_validation):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(1200, 8)).astype("float32")
    prices = np.exp(5.5 + x @ rng.normal(0, 0.25, size=8) + rng.normal(0, 0.1, size=1200)).astype("float32")
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((8,)), L.Dense(32, activation="relu"), L.Dense(1)])
    model.compile(keras.optimizers.Adam(3e-3), "mse")
    y_val = np.log(prices[1000:]) if log_validation else prices[1000:]
    history, diagnostics = fit_under_diagnostics(model, x[:1000], np.log(prices[:1000]),
                                                 validation_data=(x[1000:], y_val), epochs=8, batch_size=32)
    return history, diagnostics.findings


@pytest.mark.parametrize("seed", SEEDS_SLOW_AFTER_FIRST)
def test_log_targets_for_training_and_raw_ones_for_validation_lead_as_label_mismatch(seed):
    history, findings = _fit(seed, log_validation=False)
    assert history["val_loss"][-1] > 1000 * history["loss"][-1]  # it happened
    lead = findings[0]
    assert (lead.kind, lead.severity) == ("label_mismatch", "error") and "target_scale_ratio" in lead.evidence
    assert lead.remedies[0].action == "fix_data"
    _, findings = _fit(seed, log_validation=True)
    assert all("target_scale_ratio" not in f.evidence for f in findings)
