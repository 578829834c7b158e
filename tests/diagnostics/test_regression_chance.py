"""A regression's chance loss: the loss of predicting its targets' best constant, which
scikit-learn's `DummyRegressor` predicts; underfitting is judged against it."""

import keras
import numpy as np
import pytest
from sklearn.datasets import make_regression
from sklearn.dummy import DummyRegressor
from sklearn.metrics import mean_absolute_error, mean_squared_error

from diagnostics import judge
from diagnostics.generalization import regression_chance_loss
from tests.diagnostics._diagnosed_fit import fit_under_diagnostics

L = keras.layers
EPOCHS = 20


def _targets():
    rng = np.random.default_rng(3)
    return np.stack([rng.normal(40.0, 7.0, 300), rng.exponential(2.0, 300)], axis=1).astype("float32")


@pytest.mark.parametrize("loss, strategy, metric", [("mse", "mean", mean_squared_error),
                                                    (keras.losses.MeanAbsoluteError(), "median", mean_absolute_error)])
def test_it_is_the_dummy_regressors_loss(loss, strategy, metric):
    y = _targets()
    dummy = DummyRegressor(strategy=strategy).fit(np.zeros((len(y), 1)), y)
    expected = metric(y, dummy.predict(np.zeros((len(y), 1))))
    assert regression_chance_loss(loss, y) == pytest.approx(expected, rel=1e-5)


def test_it_is_unknown_where_it_cannot_be_read():
    y = _targets()
    assert regression_chance_loss(keras.losses.MeanSquaredError(reduction="sum"), y) is None  # grows with the batch
    assert regression_chance_loss("no_such_loss", y) is None
    assert regression_chance_loss("mse", y[:1]) is None
    y[4, 1] = np.nan
    assert regression_chance_loss("mse", y) is None


def test_the_judge_reads_it_from_the_setup_monitor_for_underfitting():
    history = {"loss": [1.02, 0.99, 0.98, 0.975, 0.975, 0.974]}
    record = {"history": history, "meta": {"monitors": ["GeneralizationMonitor", "SetupMonitor"], "chance_loss": None},
              "extras": {"SetupMonitor": {}, "GeneralizationMonitor": {}}}
    assert [f.kind for f in judge(record)] == []
    record["extras"]["SetupMonitor"]["regression_chance_loss"] = 1.0
    findings = judge(record)
    assert [f.kind for f in findings] == ["underfitting"]
    assert findings[0].evidence["chance_loss"] == 1.0
    record["extras"]["SetupMonitor"]["regression_chance_loss"] = 2.0  # the loss fell to half of guessing
    assert judge(record) == []


def _penalized_regression_fit(factor, seed):
    """A relu MLP regressing standardized `make_regression` targets, every kernel under L2(`factor`)."""
    x, y = make_regression(1200, 20, n_informative=10, noise=5.0, random_state=0)
    x = ((x - x.mean(axis=0)) / x.std(axis=0)).astype("float32")
    y = ((y - y.mean()) / y.std()).astype("float32")
    keras.utils.set_random_seed(seed)
    penalty = lambda: keras.regularizers.L2(factor)  # noqa: E731
    model = keras.Sequential([keras.Input((20,)), L.Dense(64, activation="relu", kernel_regularizer=penalty()),
                              L.Dense(64, activation="relu", kernel_regularizer=penalty()),
                              L.Dense(1, kernel_regularizer=penalty())])
    model.compile(keras.optimizers.Adam(1e-3), "mse")
    history, diagnostics = fit_under_diagnostics(model, x, y, epochs=EPOCHS, batch_size=32, validation_split=0.2)
    return history, diagnostics.findings


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_regression_held_at_its_mean_by_a_heavy_penalty_underfits_and_a_light_one_does_not(seed):
    # Without a chance loss for the regression nothing is found here: the data loss is not a crawl.
    history, findings = _penalized_regression_fit(1.0, seed)
    assert history["loss"][-1] > 0.9  # the fault: the weights serve the penalty; the targets' variance is 1
    assert [f.kind for f in findings][:1] == ["underfitting"]
    history, findings = _penalized_regression_fit(1e-4, seed)
    assert history["loss"][-1] < 0.1
    assert findings == []


def test_a_loss_that_cannot_score_a_constant_gives_no_chance():
    def needs_two_columns(y_true, y_pred):
        return keras.ops.mean((y_true[:, 1] - y_pred[:, 1]) ** 2)

    assert regression_chance_loss(needs_two_columns, np.arange(6.0)) is None
