"""A loss summed over the batch (`reduction="sum"`) under SGD: every step is the batch size times
a mean loss's; the judge names the reduction as the cause of the blow-up, and the mean is healthy."""

import keras
import numpy as np
import pytest
from sklearn.datasets import make_regression

from diagnostics.remedies import Remedy
from diagnostics.remedy_edits import apply_remedies
from diagnostics.setup_model import check_model
from tests.diagnostics._diagnosed_fit import fit_under_diagnostics

L = keras.layers


def _regressor(loss, rate=0.01):
    model = keras.Sequential([keras.Input((10,)), L.Dense(32, activation="relu"), L.Dense(1)])
    model.compile(keras.optimizers.SGD(rate), loss)
    return model


@pytest.mark.parametrize("loss, found", [(keras.losses.MeanSquaredError(reduction="sum"), True),
                                         (keras.losses.Huber(reduction="sum"), True),
                                         (keras.losses.MeanSquaredError(), False), ("mse", False)])
def test_a_summed_loss_is_named_with_its_name(loss, found):
    findings = [f for f in check_model(_regressor(loss)) if "loss_reduction" in f.evidence]
    assert [f.evidence["loss_name"] for f in findings] == ([loss.name] if found else [])


def test_its_remedy_restores_the_mean_reduction():
    model = _regressor(keras.losses.MeanSquaredError(reduction="sum"))
    edited = apply_remedies(model, [Remedy("set_loss", None, {"loss": "mean_squared_error"}, "mean")]).model
    y, p = np.array([[1.0], [3.0]]), np.array([[0.0], [0.0]])
    assert float(edited.loss(y, p)) == pytest.approx(np.mean((y - p) ** 2))  # 5.0, not the sum 10.0


def _fit(seed, loss):
    x, y = make_regression(2000, 10, n_informative=8, noise=5.0, random_state=seed)
    x = ((x - x.mean(axis=0)) / x.std(axis=0)).astype("float32")
    y = ((y - y.mean()) / y.std()).astype("float32")
    keras.utils.set_random_seed(seed)
    history, diagnostics = fit_under_diagnostics(_regressor(loss), x, y, epochs=8, batch_size=256,
                                                 validation_split=0.2)
    return history, diagnostics.findings


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_summed_loss_under_sgd_leads_with_its_reduction_and_the_mean_is_healthy(seed):
    history, findings = _fit(seed, keras.losses.MeanSquaredError(reduction="sum"))
    assert not np.isfinite(history["loss"][-1]) or history["loss"][-1] > 1e3  # the fault: it blew up
    assert "loss_reduction" in findings[0].evidence
    assert (findings[0].remedies[0].action, findings[0].remedies[0].params) == (
        "set_loss", {"loss": "mean_squared_error"})
    history, findings = _fit(seed, "mse")
    assert history["loss"][-1] < 0.5 and findings == []  # learning: the targets' variance is 1
