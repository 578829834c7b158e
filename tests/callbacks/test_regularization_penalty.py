"""Underfitting under a heavy weight penalty: the training loss falls as the penalty shrinks, while
the data loss stays at chance. `GeneralizationMonitor` records the penalty the loss holds, and the
judge reads the data loss."""

import math

import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits

from callbacks import GeneralizationMonitor, TrainingDiagnostics
from diagnostics import judge

L2 = 0.5


def _digits():
    x, y = load_digits(return_X_y=True)
    return (x / 16.0).astype("float32"), y


def _penalized_mlp(seed, factor):
    keras.utils.set_random_seed(seed)
    regularizer = keras.regularizers.L2(factor)
    model = keras.Sequential([keras.Input((64,)),
                              keras.layers.Dense(64, activation="relu", kernel_regularizer=regularizer),
                              keras.layers.Dense(10, activation="softmax", kernel_regularizer=regularizer)])
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    return model


def _numpy_penalty(model, factor):
    return sum(factor * float(np.sum(np.square(layer.get_weights()[0]))) for layer in model.layers)


def test_the_recorded_penalty_is_the_mean_of_its_values_at_the_epoch_s_start_and_end():
    x, y = _digits()
    model = _penalized_mlp(0, L2)
    before = _numpy_penalty(model, L2)
    monitor = GeneralizationMonitor()
    model.fit(x[:256], y[:256], epochs=1, batch_size=64, validation_split=0.25, verbose=0, callbacks=[monitor])
    after = _numpy_penalty(model, L2)
    assert monitor.penalties == [pytest.approx((before + after) / 2, rel=1e-5)]
    assert monitor.extras["regularization_loss"] == monitor.penalties


def test_no_penalty_is_recorded_for_a_model_without_one():
    x, y = _digits()
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(10, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    monitor = GeneralizationMonitor()
    model.fit(x[:128], y[:128], epochs=2, batch_size=64, validation_split=0.25, verbose=0, callbacks=[monitor])
    assert monitor.penalties == [0.0, 0.0] and "regularization_loss" not in monitor.extras


def test_underfitting_is_judged_on_the_loss_without_its_penalty():
    chance = math.log(10)
    history = {"loss": [60.0, 20.0, 8.0, 4.0, 3.0, 2.9]}
    record = {"history": history, "meta": {"monitors": ["GeneralizationMonitor"], "chance_loss": chance},
              "extras": {"GeneralizationMonitor": {"monitor": "val_loss"}}}
    assert judge(record) == []  # the sum falls 20-fold: it looks like learning
    record["extras"]["GeneralizationMonitor"]["regularization_loss"] = [57.7, 17.7, 5.7, 1.7, 0.7, 0.6]
    [finding] = judge(record)
    assert finding.kind == "underfitting"
    assert finding.evidence["best_loss"] == pytest.approx(2.3)
    assert finding.evidence["regularization_loss"] == 0.6
    assert finding.remedies[0].action == "add_regularization"


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_heavy_weight_penalty_is_underfitting_and_a_light_one_is_healthy(seed):
    x, y = _digits()
    verdicts = {}
    for factor in (L2, 1e-4):
        diagnostics = TrainingDiagnostics(verbose=0)
        _penalized_mlp(seed, factor).fit(x, y, epochs=10, batch_size=64, validation_split=0.2, verbose=0,
                                         callbacks=[diagnostics])
        verdicts[factor] = diagnostics.findings
    [heavy] = verdicts[L2]
    assert heavy.kind == "underfitting" and heavy.remedies[0].action == "add_regularization"
    assert heavy.remedies[0].params == {"l2": 1e-4}
    assert verdicts[1e-4] == []
