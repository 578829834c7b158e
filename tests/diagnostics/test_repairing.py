"""`diagnostics.repair`: the user's model stays untouched, healthy runs get nothing, broken runs get
the expected fix, the budget holds, bad arguments are refused; the acceptance rule and the
successive-halving schedule checked by hand."""

import dataclasses
import math

import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.metrics import balanced_accuracy_score

from callbacks.training_diagnostics import TrainingDiagnostics
from diagnostics import repairing as repair_module
from diagnostics.findings import Finding
from diagnostics.remedy import Remedy
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
        # a baseline that diverged at one seed: its spread is no noise, the margin stops at half its
        # best (1.15e11): a trial a thousand times better beats it, one a little better does not
        ((2.3e11, 3e13), (1.6e8, 3.1e8), True),
        ((2.3e11, 3e13), (2e11, 2.1e11), False),
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


@pytest.mark.parametrize(
    ("baseline", "trial", "accepted"),
    [
        # balanced accuracy, higher is better: margin = max(baseline range 0.04, trial range 0.02,
        # 2% of 0.54) = 0.04, so the worst trial seed must exceed 0.54 + 0.04
        ((0.5, 0.54), (0.6, 0.62), True),
        ((0.5, 0.54), (0.57, 0.6), False),
        ((0.5, 0.5), (0.9, -math.inf), False),  # a seed never finite
    ],
)
def test_acceptance_on_an_accuracy_needs_the_worst_trial_seed_above_the_best_baseline_seed(
        baseline, trial, accepted):
    rule = repair_module._Acceptance(_trial(baseline, [_finding("class_imbalance", "warning")]),
                                     _finding("class_imbalance", "warning"))
    rule.baseline.metric_name = candidate_name = repair_module.BALANCED_ACCURACY
    candidate = _trial(trial)
    candidate.metric_name = candidate_name
    rule.decide(candidate)
    assert candidate.accepted is accepted, candidate.reason


def test_a_shorter_trial_is_held_to_the_baseline_at_equal_work_a_full_one_to_the_model_it_returned():
    # The baseline (10 steps per epoch) overfits: its returned (last) model has loss 1.0; its
    # best epoch is the second, 0.6, and the first is 0.8.
    baseline = Trial(histories=[{"val_loss": [0.8, 0.6, 1.0]}] * 2, returned_epochs=[2, 2], seeds=(0, 1),
                     steps_per_epoch=10)
    baseline.measure("val_loss")
    assert baseline.metrics == [1.0, 1.0] and baseline.best_metrics == [0.6, 0.6]
    rule = repair_module._Acceptance(baseline, _finding("overfitting", "warning"))
    # Early stopping returns the best epoch's model (epoch 1): 0.62 beats 1.0 at full length...
    stopped = Trial(remedies=(object(),), histories=[{"val_loss": [0.8, 0.62, 0.9]}] * 2, returned_epochs=[1, 1],
                    seeds=(0, 1), fraction=1.0, steps=60)
    stopped.measure("val_loss")
    rule.decide(stopped)
    assert stopped.accepted, stopped.reason
    # ...but a shorter run of 20 steps per seed is held to the baseline's best of its first 2
    # epochs (0.6), which 0.62 does not beat...
    shorter = dataclasses.replace(stopped, fraction=0.7, steps=40)
    rule.decide(shorter)
    assert not shorter.accepted and "first 2 epoch(s)" in shorter.reason
    # ...while at 10 steps per seed it is held to the first epoch only (0.8): 0.62 beats it.
    shortest = dataclasses.replace(stopped, fraction=0.35, steps=20)
    rule.decide(shortest)
    assert shortest.accepted, shortest.reason
    # A screening trial (fewer seeds than the baseline) is ranked, never accepted.
    screened = dataclasses.replace(stopped, seeds=(0,), histories=stopped.histories[:1],
                                   returned_epochs=[1], metrics=[0.62])
    rule.decide(screened)
    assert not screened.accepted and "screened" in screened.reason


def test_the_returned_epoch_is_the_one_early_stopping_restored():
    x = np.linspace(-1, 1, 64, dtype="float32")[:, None]
    y = 3 * x
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
    # val_loss against targets far from the data: the first epoch is the best one here.
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=5, restore_best_weights=True)
    history = model.fit(x, y, validation_data=(x, -3 * x), epochs=4, verbose=0, callbacks=[stop])
    expected = int(np.argmin(history.history["val_loss"]))
    assert repair_module._returned_epoch(history, [stop]) == expected
    assert repair_module._returned_epoch(history, []) == 3


def test_an_output_that_does_not_fit_its_loss_is_judged_on_the_balanced_accuracy():
    # Its remedies change the loss: a one-unit output under a class cross-entropy reads 0 whatever
    # it predicts, so the baseline's loss and a trial's do not compare.
    run = repair_module.Trial(histories=[{"val_output_loss": [1e-7], "val_balanced_accuracy": [0.5]}])
    lead = Finding("output_loss_mismatch", "error", 0, "out", "one unit")
    assert repair_module.choose_metric(run, lead) == "val_balanced_accuracy"
    assert repair_module.choose_metric(run, Finding("exploding_gradient", "error", 0, None, "")) == "val_output_loss"


def test_balanced_accuracy_matches_scikit_learn():
    rng = np.random.default_rng(0)
    labels = rng.choice(4, size=200, p=[0.7, 0.2, 0.07, 0.03])
    predictions = np.where(rng.random(200) < 0.6, labels, rng.integers(0, 4, 200))
    assert repair_module.balanced_accuracy(labels, predictions) == pytest.approx(
        balanced_accuracy_score(labels, predictions), abs=1e-12)
    # Always the majority class: chance, whatever its share.
    assert repair_module.balanced_accuracy(labels, np.zeros(200, int)) == pytest.approx(0.25)
    # From a model's outputs: softmax rows against class ids or one-hot rows, one sigmoid unit.
    outputs = rng.random((200, 4))
    expected = balanced_accuracy_score(labels, outputs.argmax(-1))
    loss = keras.losses.get("sparse_categorical_crossentropy")
    assert repair_module._balanced_accuracy_of(loss, labels, outputs) == pytest.approx(expected)
    assert repair_module._balanced_accuracy_of(keras.losses.CategoricalCrossentropy(), np.eye(4)[labels],
                                               outputs) == pytest.approx(expected)
    binary = (labels > 0).astype("float32")
    scores = rng.random((200, 1))
    assert repair_module._balanced_accuracy_of(keras.losses.get("binary_crossentropy"), binary, scores) == \
        pytest.approx(balanced_accuracy_score(binary, scores[:, 0] > 0.5))
    # Not a classification loss: no balanced accuracy.
    assert repair_module._balanced_accuracy_of(keras.losses.get("mse"), binary, scores) is None


def test_raw_inputs_put_standardizing_first_whatever_finding_leads():
    standardize = Remedy("standardize_inputs", None, {"method": "standardize"}, "Standardize.")
    init = Remedy("set_initializer", "dense", {"kernel_initializer": "he_normal"}, "He.")
    leaky = Remedy("set_activation", None, {"activation": "leaky_relu"}, "Leaky.")
    dead = Finding("dead_relu", "warning", 0, "dense", "dead", remedies=[init, leaky])
    raw = Finding("unnormalized_input", "warning", 0, "input", "raw", remedies=[standardize])
    sets = repair_module._remedy_sets([dead, raw])
    assert sets[0] == (standardize,) and sets[1:] == [(init,), (leaky,), (init, leaky)]
    assert repair_module._remedy_sets([dead]) == [(init,), (leaky,), (init, leaky)]


def test_nan_in_the_data_or_a_lead_with_no_library_remedy_is_not_repairable():
    lead = Finding("label_mismatch", "error", 0, None, "labels", remedies=[
        Remedy("fix_labels", None, {}, "Relabel.", applicable=False)])
    assert "only you can do: Relabel." in repair_module._user_only(lead, np.ones((4, 2)), np.ones(4))
    lead_with_fix = Finding("non_finite", "error", 0, None, "nan", remedies=[
        Remedy("clip_gradients", None, {"clipnorm": 1.0}, "Clip.")])
    assert repair_module._user_only(lead_with_fix, np.ones((4, 2)), np.ones(4)) == ""
    y = np.array([1.0, np.nan, 2.0, np.inf])
    assert "2 NaN or infinite" in repair_module._user_only(lead_with_fix, {"a": np.ones((4, 2))}, y)
    assert repair_module._user_only(lead_with_fix, [np.ones((4, 2)), np.arange(4)], np.arange(4)) == ""


# -- the schedule, by hand ------------------------------------------------------------------------


def test_successive_halving_halves_the_candidates_and_doubles_the_length():
    # 4 candidates: rungs of 4, 2 and 1 at lengths 1, 2 and 4; the first screens at one seed,
    # the others run at both: 4*1*1 + 2*2*2 + 1*4*2 = 20 first-rung lengths. Budget 3 baselines
    # of 100 steps: 300 / (20 * 100) = 0.15.
    assert repair_module._schedule(4, 2, 300, 100) == [(4, 0.15, 1), (2, 0.3, 2), (1, 0.6, 2)]
    # Budget 1.5: 150 / 2000 = 0.075, above MIN_TRIAL_FRACTION (0.07): all 4 candidates.
    assert repair_module._schedule(4, 2, 150, 100) == [(4, 0.075, 1), (2, 0.15, 2), (1, 0.3, 2)]
    # 5 candidates at budget 1.5 would weigh 5 + 3*2*2 + 2*4*2 + 8*2 = 49: 0.031, too short; 4 fit.
    assert repair_module._schedule(5, 2, 150, 100)[0] == (4, 0.075, 1)
    # A budget of 6 baselines at 1 seed: 600 / (12 * 100) = 0.5, then the baseline's length (capped).
    assert repair_module._schedule(4, 1, 600, 100) == [(4, 0.5, 1), (2, 1.0, 1)]
    # Budget 12: every candidate runs the baseline's full length once; no rung repeats it.
    assert repair_module._schedule(4, 1, 1200, 100) == [(4, 1.0, 1)]
    # Full length at once at 2 seeds: the one rung runs at both (its verdict needs the spread).
    assert repair_module._schedule(4, 2, 2000, 100) == [(4, 1.0, 2)]
    # 5 candidates at budget 0.4 x 100 steps, 1 seed: 3 give 40 / 1100 < 0.07, 2 give 40 / 400 = 0.1.
    assert repair_module._schedule(5, 1, 40, 100) == [(2, 0.1, 1), (1, 0.2, 1)]
    assert repair_module._schedule(3, 2, 6, 100) == []  # 3 steps per seed: below MIN_TRIAL_STEPS
    # The judged rung keeps MIN_JUDGED_EPOCH_STEPS (8) steps per epoch: 3 epochs of 19 steps
    # (57) at budget 1.5 give 4 candidates a last rung of 0.3 x 19 = 5.7 steps per epoch, so 2
    # candidates run (0.5 x 19 = 9.5); at 45 steps per epoch 4 candidates keep 13.5.
    assert repair_module._schedule(4, 2, 85, 57, epochs=3) == [(2, 85 / 342, 1), (1, 85 / 171, 2)]
    assert len(repair_module._schedule(4, 2, 337, 225, epochs=5)) == 3
    # 4 steps per epoch: no schedule keeps 4 (or 8); the fewest candidates, the longest last rung.
    assert repair_module._schedule(4, 2, 360, 240, epochs=60) == [(1, 0.75, 2)]


@pytest.mark.parametrize("candidates", [1, 2, 3, 5, 6])
@pytest.mark.parametrize("seeds", [1, 2, 3])
@pytest.mark.parametrize("budget", [0.3, 1.5, 4.0, 30.0])
def test_the_schedule_never_plans_more_work_than_the_budget(candidates, seeds, budget):
    baseline_steps = 120
    schedule = repair_module._schedule(candidates, seeds, int(budget * baseline_steps), baseline_steps)
    planned = sum(count * max(repair_module.MIN_TRIAL_STEPS, math.floor(fraction * baseline_steps)) * rung_seeds
                  for count, fraction, rung_seeds in schedule)
    assert 0 < planned <= budget * baseline_steps
    counts = [count for count, _, _ in schedule]
    fractions = [fraction for _, fraction, _ in schedule]
    assert counts == sorted(counts, reverse=True) and counts[0] <= candidates
    assert fractions == sorted(set(fractions)) and 0 < fractions[0] and fractions[-1] <= 1
    assert schedule[-1][2] == seeds  # the last rung, which gives the verdict, runs at every seed


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


class _NoJudge(keras.callbacks.Callback):
    """Stands in for TrainingDiagnostics where only the trial's length is tested."""

    def __init__(self, verbose=0):
        super().__init__()
        self.findings = []

    def run(self):
        return {"history": {}}


def test_a_trial_longer_than_one_pass_over_the_arrays_runs_every_planned_step():
    x = np.random.default_rng(0).normal(size=(100, 2)).astype("float32")
    y = x.sum(axis=1)
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    runner = repair_module._Runner(_NoJudge, {"x": x, "y": y, "batch_size": 10, "shuffle": True}, 3, (0,))
    candidate = repair_module._Candidate((), model, model.get_weights(), [], {})
    baseline = runner.run(candidate, fraction=1.0, strict=True)
    assert baseline.steps == runner.baseline_steps == 30
    # 70% of 30 steps: 3 epochs of 7 steps, 21 in all, more than one pass (10): Keras alone would
    # stop at the end of the pass (7 + 3 steps, then nothing).
    trial = runner.run(candidate, fraction=0.7, strict=False)
    assert trial.error is None and trial.steps == 21 and len(trial.history["loss"]) == 3


def test_the_runs_findings_carry_the_remedies_its_setup_calls_for(digits):
    """Trials are judged on the whole run record, setup included: two ReLU layers started behind
    a bias of -2 are re-initialized both, first (the callback's own `findings` attribute re-judged
    a record without the setup, and led with LeakyReLU and one layer)."""
    (x, y), _ = digits
    model = keras.Sequential([keras.Input((64,))] + [
        keras.layers.Dense(32, activation="relu", name=name, bias_initializer=keras.initializers.Constant(-2.0))
        for name in ("d1", "d2")] + [keras.layers.Dense(10, activation="softmax", name="out")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    runner = repair_module._Runner(TrainingDiagnostics, {"x": x, "y": y, "batch_size": 32}, 1, (0, 1, 2))
    baseline = runner.run(repair_module._Candidate((), model, model.get_weights(), [], {}), fraction=1.0, strict=True)
    for findings in baseline.seed_findings:
        dead = next(finding for finding in findings if finding.kind == "dead_relu")
        first = dead.remedies[0]
        assert (first.action, first.target, sorted(first.params["layers"])) == ("set_initializer", None, ["d1", "d2"])


def _linear_runner(epochs=20):
    """A linear regression on 40 rows, 4 steps per epoch, at seeds 0 and 1, judged by no one."""
    x = np.random.default_rng(0).normal(size=(40, 2)).astype("float32")
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    runner = repair_module._Runner(_NoJudge, {"x": x, "y": x.sum(axis=1), "batch_size": 10}, epochs, (0, 1))
    return runner, model


def test_a_step_cap_ends_the_seeds_fits_at_an_epoch_end_within_their_steps():
    runner, model = _linear_runner()
    candidate = repair_module._Candidate((), model, model.get_weights(), [], {})
    assert runner.run(candidate, fraction=1.0, strict=True).steps == 2 * 80
    # 50 steps for two seeds: the first gets 25 (6 epochs of 4: a 7th would pass 25), the second
    # what is left, 26 (6 epochs again).
    trial = runner.run(candidate, fraction=1.0, strict=False, max_steps=50)
    assert [len(history["loss"]) for history in trial.histories] == [6, 6]
    assert trial.steps == 48 and trial.fraction == 24 / 80


def test_the_budget_a_trial_left_unspent_runs_the_leader_at_full_length():
    """A 75% early-stopping trial that stopped after 2 epochs spent 12 of 120 steps: the rest runs
    it at the baseline's full length, judged against the model the baseline's fit returned."""
    runner, model = _linear_runner()
    candidate = repair_module._Candidate((), model, model.get_weights(), [], {})
    runner.metric_name = "loss"
    baseline = runner.run(candidate, fraction=1.0, strict=True)
    rule = repair_module._Acceptance(baseline, Finding("overfitting", "warning", 0, None, ""))
    stop = keras.callbacks.EarlyStopping(monitor="loss", min_delta=1e9, patience=1)  # always after 2 epochs
    stopping = repair_module._Candidate((Remedy("early_stopping"),), model, model.get_weights(), [],
                                        {"callbacks": [stop]})
    trials, _ = repair_module._successive_halving(runner, rule, [stopping], [(1, 0.75, 2)], 120)
    assert [(trial.fraction, trial.steps) for trial in trials] == [(0.75, 12), (1.0, 16)]
    assert trials[1].reason.startswith("clears overfitting") and "the model its fit returned" in trials[1].reason
    # Without early stopping the 75% trial spends the budget: nothing is left to extend it.
    trials, _ = repair_module._successive_halving(runner, rule, [candidate], [(1, 0.75, 2)], 120)
    assert [(trial.fraction, trial.steps) for trial in trials] == [(0.75, 120)]


def test_nan_targets_are_not_repairable_by_the_library_and_nothing_is_tried():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = x.sum(axis=1)
    y[5] = np.nan
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(0.01), loss="mse")
    result = repair(model, x, y, epochs=2, seeds=1, verbose=0)
    assert result.baseline.findings, "the NaN loss is found"
    assert result.repairable is False and result.trials == [] and result.accepted is None
    assert "Not repairable by the library: the training data hold 1 NaN" in str(result)
    assert result.steps == 0


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
    assert result.metric_reason.startswith("val_output_loss") and "metric: val_output_loss" in str(result)
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
    # The remedies change the loss itself, so the trials are judged on the balanced accuracy: the
    # outputs are 1 for every row, every row is called a one, and the mean recall is 0.5.
    zeros = float(np.mean(y_val == 0))
    assert result.baseline.metric_name == "val_balanced_accuracy"
    np.testing.assert_allclose(result.baseline.metrics, [0.5, 0.5])
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
