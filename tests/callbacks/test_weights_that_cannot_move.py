"""Three ways the loss cannot move a model's weights, each named as the cause that leads: an op
without a gradient in the graph (`keras.ops.round` in a Lambda), a model frozen whole before
`compile`, and SGD whose `clipvalue` bounds every step to nearly nothing. Each twin without the
fault trains with no finding."""

import warnings

import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits

from callbacks import TrainingDiagnostics

L = keras.layers
# The default tier runs one seed; the other two run in the slow tier (CI runs both).
SEEDS = [0, pytest.param(1, marks=pytest.mark.slow), pytest.param(2, marks=pytest.mark.slow)]


def _digits():
    x, y = load_digits(return_X_y=True)
    x = (x - x.mean(axis=0)) / np.where(x.std(axis=0) > 0, x.std(axis=0), 1.0)
    return x[:640].astype("float32"), y[:640]


def _mlp(rounded=False, frozen=False, optimizer=None):
    inputs = keras.Input((64,))
    hidden = L.Dense(32, activation="relu", name="below_1")(inputs)
    hidden = L.Dense(32, activation="relu", name="below_2")(hidden)
    if rounded:  # "quantize" the features: round has no gradient
        hidden = L.Lambda(lambda t: keras.ops.round(t), name="quantize")(hidden)
    hidden = L.Dense(32, activation="relu", name="above")(hidden)
    model = keras.Model(inputs, L.Dense(10, activation="softmax", name="out")(hidden))
    if frozen:
        model.trainable = False  # meant for a base, set on the whole model
    model.compile(optimizer or keras.optimizers.Adam(3e-3), "sparse_categorical_crossentropy")
    return model


def _findings(seed, **kwargs):
    keras.utils.set_random_seed(seed)
    x, y = _digits()
    diagnostics = TrainingDiagnostics(verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _mlp(**kwargs).fit(x, y, batch_size=32, epochs=5, verbose=0, validation_split=0.2, callbacks=[diagnostics])
    return diagnostics.findings


@pytest.mark.parametrize("seed", SEEDS)
def test_layers_under_an_op_without_gradient_are_cut_off(seed):
    lead = _findings(seed, rounded=True)[0]
    assert (lead.kind, lead.layer, lead.evidence["cut_layers"], lead.evidence["gradient_above"]) == (
        "zero_gradient", "below_2", 2, "above")
    assert not any(remedy.applicable for remedy in lead.remedies)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_model_frozen_whole_has_nothing_to_train(seed):
    findings = _findings(seed, frozen=True)
    assert (findings[0].kind, findings[0].evidence.get("trainable_weights")) == ("zero_gradient", 0)
    assert all(f.explained_by == "zero_gradient" for f in findings[1:])


@pytest.mark.parametrize("seed", SEEDS)
def test_sgd_clipped_to_nothing_is_the_cause_of_the_stall(seed):
    findings = _findings(seed, optimizer=keras.optimizers.SGD(0.05, clipvalue=1e-5))
    assert (findings[0].kind, findings[0].evidence["clipped_step"]) == ("suspicious_config", pytest.approx(5e-7))
    assert [r.action for r in findings[0].remedies] == ["clip_gradients"]
    assert findings[0].remedies[0].params == {"global_clipnorm": 1.0}
    assert len(findings) > 1 and all(f.explained_by == "suspicious_config" for f in findings[1:])


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("optimizer", [None, lambda: keras.optimizers.SGD(0.05, clipvalue=1.0)])
def test_the_twins_without_the_fault_train_with_no_finding(seed, optimizer):
    assert _findings(seed, optimizer=optimizer and optimizer()) == []
