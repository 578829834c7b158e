"""A pipeline that feeds a few rows again and again (a `take()` left in it): the model memorizes
them, and the judge names the pipeline as the cause of the overfitting it sees."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from diagnostics import judge
from diagnostics.setup_data import MAX_REPEATED_DISTINCT_SHARE, MAX_REPEATED_VALIDATION_SEEN, check_repeated_rows
from tests.diagnostics._diagnosed_fit import fit_under_diagnostics, scaled_digits

L = keras.layers
EPOCHS = 30
STEPS = 20


def test_a_few_rows_repeated_are_named_with_their_count():
    findings = check_repeated_rows(np.tile(np.arange(32), 40), np.arange(16, 316))
    assert [f.kind for f in findings] == ["suspicious_config"]
    assert {k: findings[0].evidence[k] for k in ("repeated_rows", "distinct_rows", "rows_seen")} == {
        "repeated_rows": 40.0, "distinct_rows": 32, "rows_seen": 1280}


def test_a_whole_pass_or_coarse_inputs_are_not_repeated_rows():
    assert check_repeated_rows(np.arange(1280), np.arange(2000, 2300)) == []
    # Each row seen just under 1 / MAX_REPEATED_DISTINCT_SHARE times: a pass with oversampled rows.
    times = int(1 / MAX_REPEATED_DISTINCT_SHARE) - 1
    assert check_repeated_rows(np.repeat(np.arange(100), times), np.arange(1000, 1300)) == []
    # Few possible rows (coarse inputs): the validation rows repeat them too.
    seen = int(300 * MAX_REPEATED_VALIDATION_SEEN) + 1
    validation = np.concatenate([np.arange(seen) % 8, np.arange(1000, 1000 + 300 - seen)])
    assert check_repeated_rows(np.tile(np.arange(8), 100), validation) == []
    assert check_repeated_rows(None, np.arange(10)) == check_repeated_rows(np.arange(5), None) == []


def test_it_stands_only_beside_the_overfitting_it_explains():
    observed = check_repeated_rows(np.tile(np.arange(32), 40), np.arange(100, 400))[0].to_dict()
    record = {"history": {"loss": [2.0, 0.5, 0.1, 0.05, 0.02, 0.01], "val_loss": [2.0, 1.0, 1.1, 1.2, 1.3, 1.4]},
              "meta": {"monitors": ["SetupMonitor", "GeneralizationMonitor"], "chance_loss": 2.3},
              "extras": {"SetupMonitor": {"findings": [observed]}, "GeneralizationMonitor": {"monitor": "val_loss"}}}
    findings = judge(record)
    assert [(f.kind, f.explained_by) for f in findings] == [("suspicious_config", None),
                                                            ("overfitting", "suspicious_config")]
    assert [(r.action, r.applicable) for r in findings[0].remedies][:1] == [("fix_data", False)]
    record["history"]["val_loss"] = [2.0, 1.0, 0.6, 0.4, 0.3, 0.25]
    assert judge(record) == []


def _fit(seed, one_batch):
    x, y = scaled_digits()
    train = tf.data.Dataset.from_tensor_slices((x[:1400], y[:1400]))
    train = train.shuffle(1400, seed=seed, reshuffle_each_iteration=False).batch(32)
    train = (train.take(1) if one_batch else train).repeat().take(STEPS)
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((64,)), L.Dense(64, activation="relu"), L.Dense(64, activation="relu"),
                              L.Dense(10, activation="softmax")])
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    history, diagnostics = fit_under_diagnostics(model, train, epochs=EPOCHS, validation_data=(x[1400:], y[1400:]))
    return history, diagnostics.findings


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_one_batch_taken_and_repeated_leads_with_the_pipeline_and_the_whole_set_is_healthy(seed):
    history, findings = _fit(seed, one_batch=True)
    assert history["loss"][-1] < 0.01 and min(history["val_loss"]) > 0.5  # the fault: 32 rows memorized
    assert [f.kind for f in findings][:2] == ["suspicious_config", "overfitting"]
    assert findings[0].evidence["distinct_rows"] == 32
    history, findings = _fit(seed, one_batch=False)
    assert findings == []
