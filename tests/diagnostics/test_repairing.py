"""`diagnostics.repair`: the user's model stays untouched, healthy runs get nothing, broken runs get
the expected fix, the budget holds, bad arguments are refused; the acceptance rule and the
successive-halving schedule checked by hand."""

import math

import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits

from diagnostics import repairing as repair_module
from diagnostics.findings import Finding
from diagnostics.repairing import RepairResult, Trial, repair

TRAIN, VALIDATION = 600, 300


@pytest.fixture(scope="module")
def digits():
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype("float32")
    return (x[:TRAIN], y[:TRAIN]), (x[-VALIDATION:], y[-VALIDATION:])


def _mlp(optimizer, output_units=10, output_activation="softmax", loss="sparse_categorical_crossentropy"):
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(output_units, activation=output_activation)])
    model.compile(optimizer=optimizer, loss=loss)
    return model


def _state(model):
    """Everything repair must leave alone: weights, optimizer variables, compile settings."""
    optimizer = model.optimizer
    return {
        "weights": [np.array(w) for w in model.get_weights()],
        "optimizer_variables": [np.array(v) for v in optimizer.variables],
        "iterations": int(optimizer.iterations.numpy()),
        "optimizer_config": optimizer.get_config(),
        "compile_config": repr(model.get_compile_config()),
        "layers": [layer.get_config() for layer in model.layers],
    }


def _assert_same_state(before, after):
    assert after["iterations"] == before["iterations"] == 0
    assert len(after["weights"]) == len(before["weights"])
    for old, new in zip(before["weights"], after["weights"]):
        np.testing.assert_array_equal(old, new)
    assert len(after["optimizer_variables"]) == len(before["optimizer_variables"])
    for old, new in zip(before["optimizer_variables"], after["optimizer_variables"]):
        np.testing.assert_array_equal(old, new)
    assert after["optimizer_config"] == before["optimizer_config"]
    assert after["compile_config"] == before["compile_config"]
    assert after["layers"] == before["layers"]


# -- arguments ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"epochs": 0}, ValueError, "epochs"),
        ({"epochs": 1.5}, ValueError, "epochs"),
        ({"epochs": True}, ValueError, "epochs"),
        ({"budget": 0}, ValueError, "budget"),
        ({"budget": -1.0}, ValueError, "budget"),
        ({"budget": float("inf")}, ValueError, "budget"),
        ({"budget": "1.5"}, ValueError, "budget"),
        ({"seeds": 0}, ValueError, "seeds"),
        ({"seeds": 2.0}, ValueError, "seeds"),
        ({"verbose": 3}, ValueError, "verbose"),
        ({"callbacks": []}, ValueError, "callbacks"),
        ({"steps_per_epoch": 2}, ValueError, "steps_per_epoch"),
        ({"no_such_argument": 1}, TypeError, "no_such_argument"),
    ],
)
def test_bad_arguments_raise_naming_the_argument(kwargs, error, name):
    model = _mlp("sgd")
    x, y = np.zeros((8, 64), "float32"), np.zeros((8,), "int64")
    with pytest.raises(error, match=rf"`{name}`.*Received: {name}=") as info:
        repair(model, x, y, **kwargs)
    assert str(info.value).split("Received: ")[1].startswith(f"{name}={kwargs[name]!r}")
    assert int(model.optimizer.iterations.numpy()) == 0


def test_an_uncompiled_model_or_not_a_model_is_refused():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match=r"`model` must be compiled.*Received: model="):
        repair(model, np.zeros((8, 4)), np.zeros((8,)))
    with pytest.raises(TypeError, match=r"`model` must be a keras.Model.*Received: model='mlp'"):
        repair("mlp", np.zeros((8, 4)), np.zeros((8,)))


# -- the acceptance rule, by hand ------------------------------------------------------------------


def _finding(kind, severity="error"):
    return Finding(kind=kind, severity=severity, epoch=0, layer=None, message=kind)


def _trial(metrics, findings=()):
    return Trial(remedies=(object(),), metrics=list(metrics), seed_findings=[list(findings)] * len(metrics),
                 metric_name="val_loss")


@pytest.mark.parametrize(
    ("baseline", "trial", "accepted"),
    [
        # margin = max(baseline range 0.1, trial range 0.05, 2% of 2.0 = 0.04) = 0.1: 1.95 + 0.1 > 2.0
        ((2.0, 2.1), (1.9, 1.95), False),
        ((2.0, 2.1), (1.85, 1.89), True),  # 1.89 + 0.1 = 1.99 < 2.0
        # one seed: no spread, the 2% floor holds: 1.97 + 0.04 > 2.0, 1.95 + 0.04 < 2.0
        ((2.0,), (1.97,), False),
        ((2.0,), (1.95,), True),
        # the trial's own spread counts: 1.4 + range 0.4 < 2.0; 1.5 + 0.5 is not below 2.0
        ((2.0, 2.0), (1.0, 1.4), True),
        ((2.0, 2.0), (1.0, 1.5), False),
        # a baseline that never ran finite: any finite trial beats it; a non-finite trial never does
        ((math.inf, math.inf), (2.2, 2.3), True),
        ((math.inf, math.inf), (2.2, math.inf), False),
    ],
)
def test_acceptance_needs_the_worst_trial_seed_to_beat_the_best_baseline_seed_by_the_spread(
        baseline, trial, accepted):
    rule = repair_module._Acceptance(_trial(baseline, [_finding("non_finite")]), _finding("non_finite"))
    candidate = _trial(trial)
    rule.decide(candidate)
    assert candidate.accepted is accepted, candidate.reason


def test_acceptance_needs_the_errors_and_the_lead_finding_cleared():
    lead = _finding("underfitting", "warning")
    rule = repair_module._Acceptance(_trial((2.3, 2.3), [lead]), lead)
    for findings in ([lead], [_finding("dead_relu", "error")]):
        candidate = _trial((0.5, 0.5), findings)
        rule.decide(candidate)
        assert not candidate.accepted and "still" in candidate.reason
    other_warning = _trial((0.5, 0.5), [_finding("overfitting", "warning")])
    rule.decide(other_warning)
    assert other_warning.accepted


# -- the schedule, by hand ------------------------------------------------------------------------


def test_successive_halving_halves_the_candidates_and_doubles_the_length():
    # 4 candidates: rungs of 4, 2 and 1 at lengths 1, 2 and 4 cost 4 + 2*2 + 1*4 = 12 first-rung
    # lengths. Budget 3 baselines of 100 steps at 2 seeds: 300 / (2 * 12 * 100) = 0.125.
    assert repair_module._schedule(4, 2, 300, 100) == [(4, 0.125), (2, 0.25), (1, 0.5)]
    # Budget 1.5: 4 candidates would start at 0.0625 and 3 at 150 / (2 * 11 * 100) = 0.068, below
    # MIN_TRIAL_FRACTION (0.1); 2 candidates start at 150 / (2 * 4 * 100) = 0.1875.
    assert repair_module._schedule(4, 2, 150, 100) == [(2, 0.1875), (1, 0.375)]
    # A budget of 6 baselines at 1 seed: 600 / (12 * 100) = 0.5, then the baseline's length (capped).
    assert repair_module._schedule(4, 1, 600, 100) == [(4, 0.5), (2, 1.0)]
    # Budget 12: every candidate runs the baseline's full length once; no rung repeats it.
    assert repair_module._schedule(4, 1, 1200, 100) == [(4, 1.0)]
    # 5 candidates at budget 0.4 x 100 steps, 1 seed: 5 give 40 / 27 < 4 steps, 2 give 40 / 4 = 10.
    assert repair_module._schedule(5, 1, 40, 100) == [(2, 0.1), (1, 0.2)]
    assert repair_module._schedule(3, 2, 6, 100) == []  # 3 steps per seed: below MIN_TRIAL_STEPS


@pytest.mark.parametrize("candidates", [1, 2, 3, 5, 6])
@pytest.mark.parametrize("seeds", [1, 2, 3])
@pytest.mark.parametrize("budget", [0.3, 1.5, 4.0])
def test_the_schedule_never_plans_more_work_than_the_budget(candidates, seeds, budget):
    baseline_steps = 120
    schedule = repair_module._schedule(candidates, seeds, int(budget * baseline_steps), baseline_steps)
    planned = sum(count * max(repair_module.MIN_TRIAL_STEPS, math.floor(fraction * baseline_steps))
                  for count, fraction in schedule) * seeds
    assert 0 < planned <= budget * baseline_steps
    counts = [count for count, _ in schedule]
    fractions = [fraction for _, fraction in schedule]
    assert counts == sorted(counts, reverse=True) and counts[0] <= candidates
    assert fractions == sorted(set(fractions)) and 0 < fractions[0] and fractions[-1] <= 1


# -- real runs ------------------------------------------------------------------------------------


def test_a_healthy_run_has_nothing_to_repair_and_the_model_is_untouched(digits):
    (x, y), validation = digits
    model = _mlp(keras.optimizers.Adam(1e-3))
    before = _state(model)
    result = repair(model, x, y, validation_data=validation, epochs=2, verbose=0)
    _assert_same_state(before, _state(model))
    assert isinstance(result, RepairResult)
    assert result.baseline.findings == []
    assert result.trials == [] and result.accepted is None and result.model is None
    assert result.fit_kwargs == {} and result.changes == []
    assert "Nothing to repair" in str(result)
    # One baseline fit: 2 epochs of ceil(600 / 32) = 19 steps, at each of the 2 seeds.
    assert result.baseline_steps == 2 * math.ceil(TRAIN / 32)
    assert result.baseline.steps == 2 * result.baseline_steps
    assert len(result.baseline.histories) == 2 and result.baseline.seeds == (0, 1)


@pytest.mark.slow
def test_a_too_high_learning_rate_is_repaired_by_a_lower_one_within_the_budget(digits, tmp_path):
    (x, y), validation = digits
    model = _mlp(keras.optimizers.SGD(learning_rate=10.0))
    before = _state(model)
    budget = 1.5
    result = repair(model, x, y, validation_data=validation, epochs=2, budget=budget, seeds=2, verbose=0)
    _assert_same_state(before, _state(model))

    assert result.accepted is not None, str(result)
    assert result.accepted.remedies[0].action == "set_learning_rate"
    new_rate = float(keras.ops.convert_to_numpy(result.model.optimizer.learning_rate))
    assert new_rate < 1.0
    assert result.model is not model and int(result.model.optimizer.iterations.numpy()) == 0
    assert result.changes and len(result.accepted.seeds) == 2
    # The budget: every trial's optimizer steps together, against one baseline fit.
    assert result.baseline_steps == 2 * math.ceil(TRAIN / 32)
    assert 0 < result.steps == sum(trial.steps for trial in result.trials)
    assert result.steps <= budget * result.baseline_steps
    # The accepted model reproduces the trial's outcome: an ordinary fit trains it below the
    # baseline's best validation loss.
    history = result.model.fit(x, y, validation_data=validation, epochs=2, verbose=0, **result.fit_kwargs)
    assert min(history.history["val_loss"]) < min(result.baseline.metrics)
    path = result.report(tmp_path)
    assert open(path).read().startswith("# Repair")
    assert (tmp_path / "repair_curves.png").stat().st_size > 0


@pytest.mark.slow
def test_a_one_unit_softmax_under_binary_cross_entropy_gets_an_output_that_can_say_no(digits):
    (x, y), (x_val, y_val) = digits
    y, y_val = (y >= 5).astype("float32"), (y_val >= 5).astype("float32")
    model = _mlp(keras.optimizers.Adam(1e-3), output_units=1, output_activation="softmax",
                 loss="binary_crossentropy")
    before = _state(model)
    result = repair(model, x, y, validation_data=(x_val, y_val), epochs=2, verbose=0)
    _assert_same_state(before, _state(model))

    assert result.baseline.findings[0].kind == "output_loss_mismatch"
    # Keras computes the loss from the logits behind the softmax, so the run's own val_loss looks
    # fine; the outputs are 1 for every row, and their binary cross-entropy is that of predicting
    # 1, clipped to 1 - 1e-7 in float32, for the zeros: -log(1 - float32(1 - 1e-7)) x their share.
    zeros = float(np.mean(y_val == 0))
    clipped = np.float32(1) - np.float32(1 - 1e-7)
    np.testing.assert_allclose(result.baseline.metrics, [-np.log(float(clipped)) * zeros] * 2, rtol=1e-4)
    assert result.accepted is not None, str(result)
    assert result.accepted.remedies[0].action in ("set_output_activation", "set_output_units")
    output = result.model.layers[-1]
    assert not (output.units == 1 and keras.activations.serialize(output.activation) == "softmax")
    # The repaired model, trained as the user would, tells the classes apart: the original's
    # constant output is right only on the ones.
    result.model.fit(x, y, epochs=2, verbose=0, **result.fit_kwargs)
    scores = np.asarray(result.model.predict(x_val, verbose=0))
    predicted = scores.argmax(-1) if scores.shape[-1] == 2 else (scores[:, 0] > 0.5)
    assert np.mean(predicted == y_val) > max(zeros, 1 - zeros) + 0.1
    assert result.steps <= 1.5 * result.baseline_steps
