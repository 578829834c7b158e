"""A fit whose batches are as large as its data makes a handful of updates: the judge names the
batch size as the cause of the underfitting, and a healthy fit with mini-batches says nothing."""

import keras
import pytest

from diagnostics import judge
from diagnostics.setup_data import FEW_STEPS_PER_EPOCH, check_steps_per_epoch
from tests.diagnostics._diagnosed_fit import fit_with_held_out_rows, scaled_digits

L = keras.layers
EPOCHS = 20


def test_a_handful_of_steps_per_epoch_is_named_with_the_total():
    findings = check_steps_per_epoch(1, epochs=30)
    assert [f.kind for f in findings] == ["suspicious_config"]
    assert findings[0].evidence["steps_per_epoch"] == 1 and "30 in all 30 epochs" in findings[0].message
    assert [f.evidence["steps_per_epoch"] for f in check_steps_per_epoch(FEW_STEPS_PER_EPOCH)] == [FEW_STEPS_PER_EPOCH]
    assert check_steps_per_epoch(FEW_STEPS_PER_EPOCH + 1) == check_steps_per_epoch(None) == []


def test_it_stands_only_beside_the_underfitting_it_explains():
    observed = check_steps_per_epoch(1, epochs=6)[0].to_dict()
    record = {"history": {"loss": [2.30, 2.29, 2.29, 2.28, 2.28, 2.28]},
              "meta": {"monitors": ["SetupMonitor", "GeneralizationMonitor"], "chance_loss": 2.3026},
              "extras": {"SetupMonitor": {"findings": [observed]}, "GeneralizationMonitor": {}}}
    findings = judge(record)
    assert [(f.kind, f.explained_by) for f in findings] == [("suspicious_config", None),
                                                            ("underfitting", "suspicious_config")]
    assert [(r.action, r.params) for r in findings[0].remedies][:1] == [("change_batch_size", {"batch_size": 32})]
    record["history"]["loss"] = [2.0, 1.2, 0.8, 0.5, 0.4, 0.3]
    assert judge(record) == []


def _fit(seed, batch_size):
    x, y = scaled_digits()
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((64,)), L.Dense(64, activation="relu"), L.Dense(10, activation="softmax")])
    model.compile(keras.optimizers.SGD(0.01), "sparse_categorical_crossentropy")
    history, diagnostics = fit_with_held_out_rows(model, x, y, EPOCHS, batch_size=batch_size)
    return history, diagnostics.findings


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_full_batch_sgd_leads_with_its_batch_size_and_mini_batches_are_healthy(seed):
    history, findings = _fit(seed, batch_size=1400)
    assert history["loss"][-1] > 0.9 * 2.3026  # the fault: 20 updates in all, nothing learned
    assert [(f.kind, f.explained_by) for f in findings][:2] == [("suspicious_config", None),
                                                                ("underfitting", "suspicious_config")]
    history, findings = _fit(seed, batch_size=32)
    assert history["loss"][-1] < 0.5 * 2.3026 and findings == []  # learning, far from chance
