"""Units that start as copies of each other (a constant, non-zero initializer): a setup cause that
stands beside what it explains, and nothing where the symmetry breaks or the saddle names it."""

import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits

from diagnostics import judge
from diagnostics.setup_model import check_model
from tests.diagnostics._diagnosed_fit import diagnosed_fit

L = keras.layers
CONSTANT = keras.initializers.Constant(0.05)


def _mlp(hidden_init=CONSTANT, output_init=CONSTANT, between=()):
    layers = [keras.Input((64,))]
    for i in range(3):
        layers.append(L.Dense(16, activation="relu", kernel_initializer=hidden_init, name=f"hidden_{i}"))
        layers += [layer() for layer in between]
    layers.append(L.Dense(10, activation="softmax", kernel_initializer=output_init, name="out"))
    return keras.Sequential(layers)


def _symmetric(model):
    return [f for f in check_model(model) if "symmetric_init_layers" in f.evidence]


@pytest.mark.parametrize("between", [(), (lambda: L.Dropout(0.1), lambda: L.Activation("linear"))],
                         ids=["adjacent", "through_dropout_and_activation"])
def test_constant_kernels_name_every_hidden_layer_whose_units_stay_copies(between):
    [finding] = _symmetric(_mlp(between=between))
    assert (finding.kind, finding.layer) == ("suspicious_config", "hidden_0")
    assert finding.evidence["symmetric_init_layers"] == ["hidden_0", "hidden_1", "hidden_2"]
    assert "needs_consequence" not in finding.evidence  # it stands unless the run trains well anyway


@pytest.mark.parametrize("model, expected", [
    # A random output layer weighs hidden_2's units apart; the lower two still feed constant kernels.
    (lambda: _mlp(output_init="glorot_uniform"), ["hidden_0", "hidden_1"]),
    (lambda: _mlp(hidden_init="he_normal", output_init=CONSTANT), []),    # a constant output layer alone
    (lambda: _mlp(hidden_init="zeros", output_init="zeros"), []),         # all-zero: the saddle's finding
    (lambda: _mlp(hidden_init="he_normal", output_init="glorot_uniform"), []),
], ids=["random_output", "constant_output_only", "all_zero", "random"])
def test_only_units_whose_copies_survive_are_named(model, expected):
    assert [name for f in _symmetric(model()) for name in f.evidence["symmetric_init_layers"]] == expected


def _fit(initializer, seed):
    x, y = load_digits(return_X_y=True)
    return diagnosed_fit(lambda: _mlp(hidden_init=initializer, output_init=initializer),
                         (x / 16.0).astype("float32"), y, seed, epochs=8)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_constant_start_leads_what_it_explains_and_the_random_twin_is_healthy(seed):
    history, findings = _fit(CONSTANT, seed)
    faulty_val_loss = history["val_loss"][-1]
    assert faulty_val_loss > 0.85 * np.log(10)  # it happened: near chance, where the twin is far below
    lead, *effects = findings
    assert lead.kind == "suspicious_config" and "symmetric_init_layers" in lead.evidence
    assert all(f.explained_by == "suspicious_config" for f in effects)
    # Every constant kernel, the output's too: left constant, it would weigh the last hidden units alike.
    assert lead.remedies[0].action == "set_initializer"
    assert lead.remedies[0].params["layers"] == ["hidden_0", "hidden_1", "hidden_2", "out"]
    history, findings = _fit("he_normal", seed)
    assert history["val_loss"][-1] < faulty_val_loss / 2 and findings == []
    assert np.isfinite(history["loss"]).all()


def test_a_run_that_trains_well_anyway_withdraws_it():
    [finding] = _symmetric(_mlp())
    record = {"history": {"loss": [2.3, 0.9, 0.4]}, "meta": {"monitors": ["SetupMonitor"], "chance_loss": 2.3026},
              "extras": {"SetupMonitor": {"findings": [finding.to_dict()]}}}
    assert judge(record) == []
    record["history"]["loss"] = [2.3, 2.0, 1.9]  # 0.8 of chance: a one-unit-wide net that cannot fit
    assert [f.kind for f in judge(record)] == ["suspicious_config"]
