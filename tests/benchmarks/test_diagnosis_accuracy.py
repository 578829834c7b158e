"""The accuracy benchmark's own parts: scenario ground truth (`verify`) and the scoring tables."""

import keras
import numpy as np
import pytest

from benchmarks.accuracy import SCENARIOS, Trained, measure, scoring


def _built(name, seed=0):
    """A scenario's run, compiled, not trained, as a `Trained` with an empty history."""
    run = SCENARIOS[name].make(seed)
    run.model.compile(optimizer=run.optimizer, loss=run.loss)
    return Trained(run, {"loss": [float("nan")]}, run.model.get_weights())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_deep_sigmoid_gradients_vanish_where_a_shallow_relu_net_s_do_not(seed):
    holds, note = measure.gradients_vanish()(_built("mlp_ten_sigmoid_layers", seed))
    assert holds, note
    holds, note = measure.gradients_vanish()(_built("healthy_two_epochs", seed))
    assert not holds, note


def test_dead_share_counts_units_zero_on_every_sample_like_numpy():
    x = np.random.default_rng(0).normal(size=(200, 4)).astype("float32")
    kernel = np.eye(4, 6, dtype="float32")
    bias = np.array([0, 0, -100, -100, -100, 0], "float32")  # units 2-4 dead, 5 always zero too
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(6, activation="relu"),
                              keras.layers.Dense(1)])
    model.layers[0].set_weights([kernel, bias])
    expected = np.mean(np.all(np.maximum(x @ kernel + bias, 0) <= 0, axis=0))
    assert measure.dead_shares(model, x) == {model.layers[0].name: pytest.approx(expected)}
    assert expected == pytest.approx(4 / 6)


def test_hessian_extremes_of_a_two_weight_product_at_its_saddle():
    # loss(a, b) = mean((y - b * a * x)^2) at a = b = 0: the Hessian is [[0, -2 m], [-2 m, 0]]
    # with m = mean(x * y), eigenvalues +-2|m|.
    rng = np.random.default_rng(1)
    x = rng.normal(size=(64, 1)).astype("float32")
    y = (3 * x + rng.normal(size=(64, 1))).astype("float32")
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros"),
                              keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")])
    largest, smallest = measure.hessian_extremes(model, keras.losses.MeanSquaredError(), x, y)
    eigenvalues = np.linalg.eigvalsh(np.array([[0, -2], [-2, 0]]) * float(np.mean(x * y)))
    assert (largest, smallest) == pytest.approx((eigenvalues[1], eigenvalues[0]), rel=1e-3)


@pytest.mark.parametrize("seed", [0, pytest.param(1, marks=pytest.mark.slow),
                                  pytest.param(2, marks=pytest.mark.slow)])
def test_saddle_scenario_has_an_escape_direction_and_the_plateau_one_none(seed):
    flat = {"loss": [np.log(10)] * 8}
    saddle = _built("mlp_one_tanh_layer_init_stddev_1e_4", seed)
    plateau = _built("mlp_four_tanh_layers_init_stddev_1e_3", seed)
    assert measure.stalls_on_curvature("saddle")(Trained(saddle.run, flat, saddle.initial_weights))[0]
    assert not measure.stalls_on_curvature("plateau")(Trained(saddle.run, flat, saddle.initial_weights))[0]
    assert measure.stalls_on_curvature("plateau")(Trained(plateau.run, flat, plateau.initial_weights))[0]


def test_overfitting_truth_needs_a_rising_validation_loss():
    trained = Trained(None, {"loss": [1.0, 0.3, 0.1], "val_loss": [1.0, 0.5, 0.8]}, [])
    assert measure.overfits()(trained)[0]
    trained.history["val_loss"] = [1.0, 0.5, 0.52]
    assert not measure.overfits()(trained)[0]


def _result(scenario, expected, found, acceptable=(), shown=True, error=None):
    return {"scenario": scenario, "expected": list(expected), "acceptable": list(acceptable),
            "found": list(found), "fault_shown": shown, "error": error}


FAKE_RESULTS = [
    _result("a", ["plateau"], ["plateau"]),
    _result("a", ["plateau"], ["saddle_point", "underfitting"], acceptable=["underfitting"]),
    _result("a", ["plateau"], [], shown=False),            # fault did not show: not scored
    _result("b", ["dead_relu", "non_finite"], ["non_finite"]),
    _result("h", [], []),
    _result("h", [], ["overfitting"]),
    _result("h", [], [], shown=None, error="ValueError: x"),
]


def test_recall_counts_only_runs_whose_fault_showed():
    assert scoring.recall_per_kind(FAKE_RESULTS) == {"plateau": (1, 2), "dead_relu": (0, 1),
                                                     "non_finite": (1, 1)}


def test_confusion_rows_are_true_kinds_and_columns_found_kinds():
    assert scoring.confusion(FAKE_RESULTS) == {
        "plateau": {"plateau": 1, "saddle_point": 1, "underfitting": 1},
        "dead_relu": {"non_finite": 1},
        "non_finite": {"non_finite": 1},
        "healthy": {"(none)": 1, "overfitting": 1},
    }


def test_summary_separates_false_alarms_misses_and_unshown_faults():
    assert scoring.summary(FAKE_RESULTS) == {
        "runs": 7, "faulty_runs": 3, "diagnosed": 1, "healthy_runs": 2, "healthy_with_finding": 1,
        "faulty_with_false_alarm": 1, "fault_not_shown": 1, "failed": 1,
    }
    assert scoring.false_alarms(FAKE_RESULTS[1]) == ["saddle_point"]


def test_markdown_table_has_a_row_per_true_kind():
    text = scoring.markdown(FAKE_RESULTS, ("dead_relu", "overfitting", "underfitting", "plateau",
                                           "saddle_point", "non_finite"))
    assert "| plateau |  | 1 | 1 | 1 |  |  |" in text
    assert "| healthy | 1 |  |  |  |  | 1 |" in text
    assert "| plateau | 1/2 = 0.50 |" in text
    assert "| h | 1 / 2 / 3, 1 failed | overfitting (1) |" in text  # healthy: diagnosed = quiet
