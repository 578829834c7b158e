"""Underfitting under a heavy weight penalty: the training loss falls as the penalty shrinks, while
the data loss stays at chance. `GeneralizationMonitor` records the penalty the loss holds, and the
judge reads the data loss."""

import math

import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits

from callbacks import GeneralizationMonitor, TrainingDiagnostics
from callbacks.generalization_monitor import ACTIVITY_ROWS
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


class _PenaltyBeforeEachStep(keras.callbacks.Callback):
    """Reference: the penalty at the weights each step's loss is computed on, with NumPy."""

    def __init__(self, factor):
        super().__init__()
        self.factor, self.values = factor, []

    def on_train_batch_begin(self, batch, logs=None):
        self.values.append(_numpy_penalty(self.model, self.factor))


def test_the_recorded_penalty_is_the_mean_the_epoch_s_loss_holds_even_when_it_halves_within_it():
    x, y = _digits()
    model = _penalized_mlp(0, 1.0)
    model.compile(keras.optimizers.SGD(0.01), "sparse_categorical_crossentropy")
    reference, monitor = _PenaltyBeforeEachStep(1.0), GeneralizationMonitor()
    model.fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[reference, monitor])
    steps = len(reference.values) // 2
    means = [np.mean(reference.values[:steps]), np.mean(reference.values[steps:])]
    ends = [(reference.values[0] + reference.values[steps]) / 2]
    assert reference.values[steps] < 0.6 * reference.values[0]           # it does fall fast
    assert abs(ends[0] - means[0]) > 0.1 * means[0]                      # two reads would miss it
    assert monitor.penalties == [pytest.approx(mean, rel=0.02) for mean in means]
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
    [summed] = judge(record)  # the sum falls 20-fold, to 126% of guessing
    assert summed.evidence["best_loss"] == 2.9 and summed.remedies[0].action != "add_regularization"
    record["extras"]["GeneralizationMonitor"]["regularization_loss"] = [57.7, 17.7, 5.7, 1.7, 0.7, 0.6]
    [finding] = judge(record)
    assert finding.kind == "underfitting"
    assert finding.evidence["best_loss"] == pytest.approx(2.3)
    assert finding.evidence["regularization_loss"] == 0.6
    assert finding.remedies[0].action == "add_regularization"


def test_a_data_loss_that_comes_down_to_chance_from_above_is_not_leaving_it():
    chance = math.log(10)
    history = {"loss": [3.7, 3.1, 2.7, 2.5, 2.41, 2.35, 2.33, 2.31]}
    record = {"history": history, "meta": {"monitors": ["GeneralizationMonitor"], "chance_loss": chance},
              "extras": {"GeneralizationMonitor": {"monitor": "val_loss"}}}
    assert [f.kind for f in judge(record)] == ["underfitting"]
    history["loss"] = [2.6, 2.4, 2.3, 2.25, 2.2, 2.15, 2.1, 2.05]      # below chance, and falling
    assert judge(record) == []


def test_a_heavy_penalty_explains_the_units_it_shrinks_to_nothing():
    chance = math.log(10)
    history = {"loss": [60.0, 20.0, 8.0, 4.0, 3.0, 2.9], "dead_frac/dense": [0.9] * 6}
    record = {"history": history,
              "meta": {"monitors": ["GeneralizationMonitor", "ActivationMonitor"], "chance_loss": chance},
              "extras": {"GeneralizationMonitor": {"monitor": "val_loss",
                                                   "regularization_loss": [57.7, 17.7, 5.7, 1.7, 0.7, 0.6]}}}
    assert [(f.kind, f.explained_by) for f in judge(record)] == [("underfitting", None), ("dead_relu", "underfitting")]
    record["extras"]["GeneralizationMonitor"]["regularization_loss"] = [57.79, 17.79, 5.79, 1.79, 0.79, 0.2]
    # A penalty under a tenth of the data loss at the end: the dead units are the cause.
    assert [f.kind for f in judge(record)] == ["dead_relu"]


def _activity_mlp(seed, factor, optimizer):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((64,)),
                              keras.layers.Dense(64, activation="relu", name="hidden",
                                                 activity_regularizer=keras.regularizers.L1(factor)),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer, "sparse_categorical_crossentropy")
    return model


def test_an_activity_penalty_is_read_on_the_probe_rows_as_the_step_charges_it():
    # At a learning rate of 0 the weights stay put, so every read of the second epoch is the
    # penalty of the rows it reads (the first ACTIVITY_ROWS training rows, unshuffled): L1 of the
    # hidden outputs, summed over units and averaged over rows, as Keras divides the penalty by the
    # batch size. The first epoch's reads start while the rows are still being kept, on fewer.
    x, y = _digits()
    model = _activity_mlp(0, 0.5, keras.optimizers.SGD(0.0))
    monitor = GeneralizationMonitor()
    model.fit(x, y, epochs=2, batch_size=32, shuffle=False, verbose=0, callbacks=[monitor])
    kernel, bias = model.get_layer("hidden").get_weights()
    rows = x[:ACTIVITY_ROWS]
    expected = 0.5 * np.abs(np.maximum(rows @ kernel + bias, 0)).sum(axis=1).mean()
    assert monitor.penalties == [pytest.approx(expected, rel=0.01), pytest.approx(expected, rel=1e-5)]
    assert monitor.extras["activity_penalty"] is True


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_an_activity_penalty_that_switched_the_units_off_is_named_with_its_own_remedy(seed):
    x, y = _digits()
    verdicts = {}
    for factor in (1.0, 1e-5):
        diagnostics = TrainingDiagnostics(verbose=0)
        _activity_mlp(seed, factor, keras.optimizers.Adam(1e-3)).fit(
            x, y, epochs=10, batch_size=32, validation_split=0.2, verbose=0, callbacks=[diagnostics])
        verdicts[factor] = diagnostics.findings
    lead = verdicts[1.0][0]
    assert lead.kind == "underfitting" and "heavy_penalty" in lead.evidence
    assert lead.remedies[0].action == "add_regularization"
    assert lead.remedies[0].params == {"l1": 1e-5, "activity": True}
    assert verdicts[1e-5] == []


@pytest.mark.slow
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
