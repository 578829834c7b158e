"""Regularizers that leave the model too little signal to fit: Gaussian noise that drowns the raw
inputs, and a max-norm cap far under the initial unit norms. Setup hypotheses that stand only
beside the stall they explain, and lead it."""

import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits, make_classification
from sklearn.preprocessing import MinMaxScaler

from diagnostics import judge
from diagnostics.setup_checks import check_data
from diagnostics.setup_data import NOISE_OVER_SPREAD
from diagnostics.setup_model import MIN_NORM_CAP_SHARE, check_model, describe_model
from tests.diagnostics._diagnosed_fit import diagnosed_fit

L = keras.layers


def _mlp(noise=0.0, constraint=None, functional=False, features=64, classes=10):
    layers = ([L.GaussianNoise(noise, name="noise")] if noise else []) + [
        L.Dense(32, activation="relu", kernel_constraint=constraint() if constraint else None, name=f"hidden_{i}")
        for i in range(2)] + [L.Dense(classes, activation="softmax", name="out")]
    if not functional:
        return keras.Sequential([keras.Input((features,))] + layers)
    inputs = keras.Input((features,))
    h = inputs
    for layer in layers:
        h = layer(h)
    return keras.Model(inputs, h)


def _digits():
    x, y = load_digits(return_X_y=True)
    return (x / 16.0).astype("float32"), y


def _noise_findings(model, x):
    return [f for f in check_data(*describe_model(model), x=x) if "input_noise_ratio" in f.evidence]


@pytest.mark.parametrize("functional", [False, True], ids=["sequential", "functional"])
def test_noise_is_judged_against_the_median_spread_of_the_varying_features(functional):
    x, _ = _digits()
    spread = np.std(x, axis=0)
    typical = float(np.median(spread[spread > 0]))
    stddev = min(1.0, 1.1 * NOISE_OVER_SPREAD * typical)
    [finding] = _noise_findings(_mlp(noise=stddev, functional=functional), x)
    assert (finding.kind, finding.layer) == ("suspicious_config", "noise")
    assert finding.evidence["input_noise_ratio"] == pytest.approx(stddev / typical, rel=1e-5)
    assert finding.evidence["needs_consequence"] is True
    assert _noise_findings(_mlp(noise=0.9 * NOISE_OVER_SPREAD * typical, functional=functional), x) == []


def test_noise_after_a_weighted_layer_is_not_judged_against_the_inputs():
    x, _ = _digits()
    model = keras.Sequential([keras.Input((64,)), L.Dense(32, activation="relu"), L.GaussianNoise(1.0),
                              L.Dense(10, activation="softmax")])
    assert describe_model(model)[0][0].noise == ()
    assert _noise_findings(model, x) == []


def _capped(model):
    return [f for f in check_model(model) if "capped_unit_norm" in f.evidence]


def test_a_cap_far_under_the_initial_unit_norms_names_every_capped_layer():
    keras.utils.set_random_seed(0)
    model = _mlp(constraint=lambda: keras.constraints.MaxNorm(0.01))
    [finding] = _capped(model)
    assert finding.evidence["capped_layers"] == ["hidden_0", "hidden_1"]
    kernel = np.asarray(model.get_layer("hidden_0").kernel)
    assert finding.evidence["initial_unit_norm"] == pytest.approx(np.median(np.linalg.norm(kernel, axis=0)), rel=1e-6)


def test_a_conv_kernel_capped_over_several_axes_is_judged_by_its_filter_norms():
    keras.utils.set_random_seed(0)
    conv = L.Conv2D(8, 3, kernel_constraint=keras.constraints.MaxNorm(0.01, axis=[0, 1, 2]), name="conv")
    model = keras.Sequential([keras.Input((8, 8, 1)), conv, L.Flatten(), L.Dense(3, activation="softmax")])
    [finding] = _capped(model)
    kernel = np.asarray(conv.kernel).reshape(-1, 8)
    assert finding.evidence["capped_layers"] == ["conv"]
    assert finding.evidence["initial_unit_norm"] == pytest.approx(np.median(np.linalg.norm(kernel, axis=0)), rel=1e-6)


@pytest.mark.parametrize("constraint", [lambda: keras.constraints.MaxNorm(3.0), lambda: keras.constraints.UnitNorm(),
                                        lambda: keras.constraints.NonNeg(), None],
                         ids=["max_norm_3", "unit_norm", "non_neg", "none"])
def test_usual_constraints_are_not_judged(constraint):
    keras.utils.set_random_seed(0)
    assert _capped(_mlp(constraint=constraint)) == []


def test_the_cap_share_is_what_decides():
    keras.utils.set_random_seed(0)
    model = _mlp(constraint=lambda: keras.constraints.MaxNorm(1.0))
    norms = [np.median(np.linalg.norm(np.asarray(model.get_layer(f"hidden_{i}").kernel), axis=0)) for i in range(2)]
    for i, norm in enumerate(norms):
        model.get_layer(f"hidden_{i}").kernel_constraint.max_value = 0.9 * MIN_NORM_CAP_SHARE * norm
    assert _capped(model)[0].evidence["capped_layers"] == ["hidden_0", "hidden_1"]
    for i, norm in enumerate(norms):
        model.get_layer(f"hidden_{i}").kernel_constraint.max_value = 1.1 * MIN_NORM_CAP_SHARE * norm
    assert _capped(model) == []


def _unit_range_table(seed):
    """A 4-class table of 20 features scaled to [0, 1] (a MinMaxScaler's output)."""
    x, y = make_classification(n_samples=2000, n_features=20, n_informative=8, n_classes=4, class_sep=2.0,
                               random_state=seed)
    return MinMaxScaler().fit_transform(x).astype("float32"), y


def _fit(seed, **faults):
    x, y = _unit_range_table(seed)
    return diagnosed_fit(lambda: _mlp(**faults, features=20, classes=4), x, y, seed=seed, epochs=8)


FAULTS = {"noise": ({"noise": 1.0}, "input_noise_ratio", "set_dropout"),
          "max_norm": ({"constraint": lambda: keras.constraints.MaxNorm(0.01)}, "capped_unit_norm", "set_constraint")}


@pytest.mark.parametrize("fault", list(FAULTS))
@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_starving_regularizer_leads_the_stall_and_the_twin_without_it_is_healthy(fault, seed):
    faults, key, action = FAULTS[fault]
    history, findings = _fit(seed, **faults)
    faulty_val_loss = history["val_loss"][-1]
    assert faulty_val_loss > 0.9 * np.log(4)  # it happened: near chance, where the twin is far below
    lead, *effects = findings
    assert lead.kind == "suspicious_config" and key in lead.evidence
    assert "underfitting" in [f.kind for f in effects]
    assert all(f.explained_by == "suspicious_config" for f in effects)
    assert lead.remedies[0].action == action
    history, findings = _fit(seed)
    assert history["val_loss"][-1] < 0.7 * faulty_val_loss and findings == []


def test_a_run_that_fits_anyway_withdraws_them():
    x, _ = _digits()
    keras.utils.set_random_seed(0)
    hypotheses = _noise_findings(_mlp(noise=1.0), x) + _capped(_mlp(constraint=lambda: keras.constraints.MaxNorm(0.01)))
    record = {"history": {"loss": [2.3, 0.9, 0.4]}, "meta": {"monitors": ["SetupMonitor", "GeneralizationMonitor"], "chance_loss": 2.3026},
              "extras": {"SetupMonitor": {"findings": [f.to_dict() for f in hypotheses]}}}
    assert len(hypotheses) == 2 and judge(record) == []
    record["history"]["loss"] = [2.3, 2.3, 2.3]  # at chance: the underfitting they explain
    assert [(f.kind, f.explained_by) for f in judge(record)][-1] == ("underfitting", "suspicious_config")
