"""Regression targets far from the unit scale a linear output starts at (prices in dollars): the
judge names them as the cause of the loss that stays far above predicting their mean, and the
remedy, a Rescaling after the output, is proven by a fit of the edited clone."""

import keras
import numpy as np
import pytest
from sklearn.datasets import make_regression

from diagnostics.remedies import Remedy
from diagnostics.remedy_edits import apply_remedies
from diagnostics.setup_data import MAX_TARGET_SCALE, check_target_scale
from diagnostics.setup_model import OutputSetup, describe_loss, describe_model
from tests.diagnostics._diagnosed_fit import fit_under_diagnostics

L = keras.layers
EPOCHS = 12


def _output(activation="linear", loss="mse"):
    return OutputSetup("out", "out", activation, 1, describe_loss(loss))


def test_targets_far_from_unit_scale_under_a_linear_output_are_named_with_their_mean_and_spread():
    y = np.array([150_000.0, 250_000.0, 200_000.0, np.nan])
    findings = check_target_scale([_output()], [y])
    assert [f.kind for f in findings] == ["label_mismatch"]
    assert findings[0].evidence["target_mean"] == pytest.approx(np.nanmean(y))
    assert findings[0].evidence["target_std"] == pytest.approx(np.nanstd(y))


def test_unit_scale_bounded_outputs_and_class_losses_are_left_alone():
    spread = np.array([-1.0, 1.0])  # mean 0, std 1
    assert check_target_scale([_output()], [spread * (MAX_TARGET_SCALE - 1)]) == []
    assert check_target_scale([_output()], [spread * (MAX_TARGET_SCALE + 1)]) != []
    assert check_target_scale([_output()], [spread + MAX_TARGET_SCALE - 2]) == []
    assert check_target_scale([_output()], [spread + MAX_TARGET_SCALE]) != []
    prices = np.array([1e5, 2e5, 3e5])
    assert check_target_scale([_output("sigmoid")], [prices]) == []  # a bounded output's own check
    assert check_target_scale([_output(loss="sparse_categorical_crossentropy")], [prices]) == []
    assert check_target_scale([_output()], [None]) == []


def test_the_rescaled_clone_predicts_the_targets_units_from_the_same_weights():
    model = keras.Sequential([keras.Input((3,)), L.Dense(4, activation="relu", name="h"), L.Dense(1, name="out")])
    model.compile(optimizer="adam", loss="mse")
    edited = apply_remedies(model, [Remedy("scale_targets", "out", {"mean": 2e5, "std": 5e4}, "scale")])
    x = np.random.default_rng(0).normal(size=(6, 3)).astype("float32")
    np.testing.assert_allclose(edited.model.predict(x, verbose=0), model.predict(x, verbose=0) * 5e4 + 2e5, rtol=1e-5)
    y = np.array([1.0, 3.0, 5.0])  # without mean and std they are read from y
    edited = apply_remedies(model, [Remedy("scale_targets", "out", {}, "scale")], y=y)
    np.testing.assert_allclose(edited.model.predict(x, verbose=0), model.predict(x, verbose=0) * np.std(y) + 3.0,
                               rtol=1e-5)


def _prices():
    x, y = make_regression(1500, 8, n_informative=6, noise=10.0, random_state=0)
    x = ((x - x.mean(axis=0)) / x.std(axis=0)).astype("float32")
    return x, (200_000 + 50_000 * (y - y.mean()) / y.std()).astype("float32")


def _fit(model, x, y, seed):
    history, diagnostics = fit_under_diagnostics(model, x, y, epochs=EPOCHS, batch_size=32, validation_split=0.2)
    return history, diagnostics.findings


def _model(seed):
    keras.utils.clear_session(free_memory=False)  # the same layer names in every build
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((8,)), L.Dense(64, activation="relu"), L.Dense(64, activation="relu"),
                              L.Dense(1)])
    model.compile(keras.optimizers.Adam(1e-3), "mse")
    return model


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_prices_in_dollars_lead_with_their_scale_and_its_remedy_trains(seed):
    x, y = _prices()
    model = _model(seed)
    history, findings = _fit(model, x, y, seed)
    assert min(history["loss"]) > 5 * np.var(y)  # the fault: far from even predicting the mean price
    assert [(f.kind, f.explained_by) for f in findings] == [("label_mismatch", None),
                                                            ("underfitting", "label_mismatch")]
    remedy = findings[0].remedies[0]
    assert remedy.action == "scale_targets"
    history, findings = _fit(apply_remedies(_model(seed), [remedy]).model, x, y, seed)
    assert history["loss"][-1] < 0.2 * np.var(y) and findings == []
    standardized = (y - y.mean()) / y.std()
    history, findings = _fit(_model(seed), x, standardized, seed)  # the healthy twin
    assert findings == []


def test_a_rescaling_output_that_maps_unit_scale_onto_the_targets_is_left_alone():
    model = keras.Sequential([keras.Input((3,)), L.Dense(4, activation="relu"), L.Dense(1, name="out")])
    model.compile(optimizer="adam", loss="mse")
    prices = np.array([150_000.0, 250_000.0, 200_000.0])
    edited = apply_remedies(model, [Remedy("scale_targets", "out", {"mean": 2e5, "std": 5e4}, "scale")]).model
    assert check_target_scale(describe_model(model)[1], [prices]) != []
    assert check_target_scale(describe_model(edited)[1], [prices]) == []


def test_under_plain_sgd_the_rescaled_clone_takes_the_steps_of_the_scaled_problem():
    # The loss stays in dollars: its gradient below the Rescaling is std^2 times the standardized
    # problem's, so SGD's rate is divided by std^2 (Adam divides that factor out itself).
    model = keras.Sequential([keras.Input((3,)), L.Dense(4, activation="relu"), L.Dense(1, name="out")])
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    edited = apply_remedies(model, [Remedy("scale_targets", "out", {"mean": 2e5, "std": 5e4}, "scale")]).model
    assert float(edited.optimizer.learning_rate) == pytest.approx(0.01 / 5e4 ** 2)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
    edited = apply_remedies(model, [Remedy("scale_targets", "out", {"mean": 2e5, "std": 5e4}, "scale")]).model
    assert float(edited.optimizer.learning_rate) == pytest.approx(0.01)
