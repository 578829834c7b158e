"""The accuracy benchmark's own parts: scenario ground truth (`verify`), the scoring tables and the
live/offline and invariance checks."""

import re

import keras
import numpy as np
import pytest

from benchmarks import diagnosis_accuracy
from benchmarks.accuracy import SCENARIOS, Trained, harness, measure, scoring
from callbacks import DEFAULT_MONITORS
from diagnostics import Finding, Remedy


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
        # These results carry no ordered `findings`: the order-based figures count none of them.
        "lead_right": 0, "ordered_faulty_runs": 0, "findings_per_faulty_run": None,
        "faulty_with_outside": 0,
    }
    assert scoring.false_alarms(FAKE_RESULTS[1]) == ["saddle_point"]


def test_markdown_table_has_a_row_per_true_kind():
    text = scoring.markdown(FAKE_RESULTS, ("dead_relu", "overfitting", "underfitting", "plateau",
                                           "saddle_point", "non_finite"))
    assert "| plateau |  | 1 | 1 | 1 |  |  |" in text
    assert "| healthy | 1 |  |  |  |  | 1 |" in text
    assert "| plateau | 1/2 = 0.50 |" in text
    assert "| h | 1 / 2 / 3, 1 failed | - | - | - | overfitting (1) |" in text  # healthy: diagnosed = quiet
    assert "Held-out" not in text


def _ordered(scenario, expected, findings, acceptable=(), shown=True, heldout=False):
    """A result that carries its findings in order: `findings` as `(kind, explained_by)` pairs."""
    result = _result(scenario, expected, sorted({kind for kind, _ in findings}), acceptable, shown)
    result["findings"] = [{"kind": kind, "layer": None, "epoch": 0, "severity": "warning",
                           "explained_by": cause} for kind, cause in findings]
    result["heldout"] = heldout
    return result


ORDERED_RESULTS = [
    # Right lead; the imbalance is explained by the expected cause: nothing outside.
    _ordered("labels", ["label_mismatch"], [("label_mismatch", None), ("class_imbalance", "label_mismatch")]),
    # A side effect leads the NaN, and nothing explains it: wrong lead, one outside.
    _ordered("nan", ["non_finite"], [("dead_relu", None), ("non_finite", None)]),
    # Acceptable but unexplained still counts as outside.
    _ordered("osc", ["oscillation"], [("oscillation", None), ("saturation", None)], acceptable=["saturation"]),
    _ordered("saddle", ["saddle_point"], []),                                   # a miss: no lead
    _ordered("saddle", ["saddle_point"], [("plateau", None)], shown=False),     # not scored
    _result("old", ["plateau"], ["plateau"]),                                   # saved before `findings`
    _ordered("mixed", ["non_finite", "unnormalized_input"],
             [("unnormalized_input", None), ("non_finite", None), ("dead_relu", ["non_finite"])], heldout=True),
    _ordered("twin", [], [], heldout=True),
]


def test_lead_precision_is_the_share_of_faulty_runs_led_by_an_expected_kind():
    assert scoring.lead_precision(ORDERED_RESULTS) == (3, 5)   # labels, osc, mixed of 5 (old has no order)
    assert [scoring.lead_is_right(r) for r in ORDERED_RESULTS[:4]] == [True, False, True, False]


def test_the_cause_an_expected_finding_names_is_a_right_lead():
    cause_first = _ordered("lr", ["oscillation"], [("suspicious_config", None), ("oscillation", "suspicious_config")])
    unrelated_first = _ordered("lr", ["oscillation"], [("suspicious_config", None), ("oscillation", None)])
    assert [scoring.lead_is_right(r) for r in (cause_first, unrelated_first)] == [True, False]
    # Up the chain: the learning rate made the runaway, and the runaway made the NaN.
    chain = _ordered("lr", ["non_finite"], [("suspicious_config", None), ("exploding_gradient", "suspicious_config"),
                                            ("non_finite", "exploding_gradient")])
    broken = _ordered("lr", ["non_finite"], [("suspicious_config", None), ("exploding_gradient", None),
                                             ("non_finite", "exploding_gradient")])
    assert [scoring.lead_is_right(r) for r in (chain, broken)] == [True, False]


def test_findings_per_faulty_run_counts_every_finding_of_the_scored_faulty_runs():
    assert scoring.findings_per_faulty_run(ORDERED_RESULTS) == pytest.approx((2 + 2 + 2 + 0 + 3) / 5)
    assert scoring.findings_per_faulty_run(FAKE_RESULTS) is None


def test_a_finding_explained_by_an_expected_kind_is_not_outside_but_an_acceptable_one_is():
    assert scoring.faulty_with_outside(ORDERED_RESULTS) == (2, 5)   # nan and osc
    assert [f["kind"] for f in scoring.outside_expected(ORDERED_RESULTS[1])] == ["dead_relu"]
    assert [f["kind"] for f in scoring.outside_expected(ORDERED_RESULTS[2])] == ["saturation"]
    assert scoring.outside_expected(ORDERED_RESULTS[0]) == []
    assert scoring.outside_expected(ORDERED_RESULTS[6]) == []       # explained_by as a list


def test_the_cause_an_expected_finding_names_and_what_it_explains_are_not_outside():
    # The learning rate that made the oscillation leads it, and the saturation it also made follows.
    chain = _ordered("lr", ["oscillation"], [("suspicious_config", None), ("oscillation", "suspicious_config"),
                                             ("saturation", "suspicious_config")])
    # The same config warning without the oscillation naming it: outside, and so is its saturation.
    unrelated = _ordered("lr", ["oscillation"], [("suspicious_config", None), ("oscillation", None),
                                                 ("saturation", "suspicious_config")])
    assert scoring.outside_expected(chain) == []
    assert [f["kind"] for f in scoring.outside_expected(unrelated)] == ["suspicious_config", "saturation"]


def test_held_out_families_get_a_block_of_their_own():
    tuned, heldout = scoring.split_heldout(ORDERED_RESULTS)
    assert [r["scenario"] for r in heldout] == ["mixed", "twin"]
    assert scoring.summary(heldout)["lead_right"] == 1 and scoring.summary(tuned)["lead_right"] == 2
    text = scoring.markdown(ORDERED_RESULTS, ("dead_relu", "saturation", "oscillation", "plateau",
                                              "saddle_point", "non_finite", "class_imbalance",
                                              "label_mismatch", "unnormalized_input"))
    tuned_text, heldout_text = text.split("### Held-out families (never tuned on)")
    assert tuned_text.startswith("### Tuned-on families")
    assert "- lead precision (first finding of an expected kind): 2/4 = 0.50" in tuned_text
    assert "- findings per faulty run: 1.50" in tuned_text
    assert "- faulty runs with a finding outside their expected and explained set: 2/4 = 0.50" in tuned_text
    assert "| nan | 1 / 1 / 1 | 0/1 | 2.00 | 1 | dead_relu (1) |" in tuned_text
    assert "| old | 1 / 1 / 1 | - | - | - |  |" in tuned_text
    assert "- lead precision (first finding of an expected kind): 1/1 = 1.00" in heldout_text
    assert "- findings per faulty run: 3.00" in heldout_text
    assert "| mixed | 1 / 1 / 1 | 1/1 | 3.00 | 0 | dead_relu (1) |" in heldout_text
    assert "| twin | 1 / 1 / 1 | - | 0.00 | - |  |" in heldout_text


def test_finding_record_keeps_order_fields_and_the_cause_by_kind():
    cause = Finding("non_finite", "error", 3, None, "NaN loss.")
    effect = Finding("dead_relu", "warning", 4, "dense", "Dead units.")
    object.__setattr__(effect, "explained_by", [cause])  # whatever form the library gives it
    assert harness.finding_record(effect) == {"kind": "dead_relu", "layer": "dense", "epoch": 4,
                                              "severity": "warning", "explained_by": ["non_finite"],
                                              "remedies": []}
    assert harness.finding_record(cause)["explained_by"] is None
    remedies = [Remedy(action, None, {}, action) for action in ("set_initializer", "set_activation", "set_loss")]
    assert harness.finding_record(Finding("dead_relu", "warning", 0, None, "Dead.", remedies=remedies))["remedies"] \
        == ["set_initializer", "set_activation"]


def test_fix_named_reads_the_first_two_remedies_of_the_first_finding_of_scored_faulty_runs():
    def run(scenario, findings, shown=True):
        result = _ordered(scenario, ["dead_relu"], [(kind, None) for kind, _ in findings], shown=shown)
        for record, (_, actions) in zip(result["findings"], findings):
            record["remedies"] = actions
        return result

    results = [
        run("a", [("dead_relu", ["set_learning_rate", "set_initializer"])]),          # second remedy: named
        run("a", [("dead_relu", ["set_learning_rate"]), ("plateau", ["set_initializer"])]),  # not the first finding
        run("a", []),                                                                # a miss: not named
        run("a", [("dead_relu", ["set_initializer"])], shown=False),                 # not scored
        run("b", [("dead_relu", ["set_initializer"])]),                              # no fix written: left out
        _ordered("twin", [], []),                                                    # healthy: left out
        _ordered("a", ["dead_relu"], [("dead_relu", None)]),                         # saved without remedies
    ]
    assert scoring.fix_named(results, {"a": ("set_initializer",)}) == (1, 3)
    text = scoring.markdown(results, ("dead_relu", "plateau"), {"a": ("set_initializer",)})
    assert "- fix named (the author's fix among the first two remedies of the first finding): 1/3 = 0.33" in text
    assert "fix named" not in scoring.markdown(results, ("dead_relu", "plateau"))


class _FakeMonitor:
    def __init__(self, findings):
        self.findings = findings

    def run(self):
        return {"history": {"loss": [1.0, 0.5]}, "findings": list(self.findings), "meta": {},
                "extras": {}, "skipped": []}


def test_compare_offline_counts_positions_that_differ_and_missing_entries(monkeypatch):
    a = Finding("plateau", "warning", 2, None, "Flat.")
    b = Finding("dead_relu", "warning", 1, "dense", "Dead.")
    c = Finding("dead_relu", "error", 1, "dense", "Dead.")   # same kind, other severity
    monkeypatch.setattr(harness, "offline_judge", lambda: lambda run: [a, c, a])
    assert harness.compare_offline(_FakeMonitor([a, b]))[0] == 2
    monkeypatch.setattr(harness, "offline_judge", lambda: lambda run: list(run["findings"]))
    assert harness.compare_offline(_FakeMonitor([a, b])) == (0, "")   # through run.json and back


def test_timestep_gradient_norms_of_a_linear_rnn_decay_by_its_recurrent_weight():
    # h_t = 0.5 h_(t-1) + x_t, prediction h_T, loss mean(prediction): d loss / d x_t = 0.5^(T-1-t) / n.
    steps, samples = 6, 4
    rnn = keras.layers.SimpleRNN(1, activation=None, use_bias=False)
    model = keras.Sequential([keras.Input((steps, 1)), keras.layers.Identity(), rnn])
    rnn.set_weights([np.ones((1, 1), "float32"), np.full((1, 1), 0.5, "float32")])
    x = np.random.default_rng(0).normal(size=(samples, steps, 1)).astype("float32")
    norms = measure.timestep_gradient_norms(model, lambda y, p: keras.ops.mean(p), x, None)
    expected = np.sqrt(samples) * 0.5 ** np.arange(steps - 1, -1, -1) / samples
    np.testing.assert_allclose(norms, expected, rtol=1e-5)


def test_held_out_families_are_marked_and_their_twins_expect_nothing():
    heldout = [s for s in SCENARIOS.values() if s.heldout]
    faulty = [s for s in heldout if s.expected]
    assert len({s.make.__module__ for s in heldout}) >= 10 and len(faulty) >= 10
    # A later generation of held-out families is named heldout2_..., heldout3_...
    prefix = re.compile(r"heldout\d*_")
    assert all(prefix.match(s.name) and prefix.match(s.make.__module__.split(".")[-1]) for s in heldout)
    assert all(not s.heldout for s in SCENARIOS.values() if not prefix.match(s.name))
    assert all("healthy" in s.name for s in heldout if not s.expected)


def test_loss_difference_names_the_first_epoch_that_differs_and_takes_nan_for_nan():
    nan = float("nan")
    assert harness.loss_difference([2.0, 1.0, nan], [2.0, 1.0, nan]) == ""
    assert harness.loss_difference([2.0, 1.0, 0.5], [2.0, 1.5, 0.4]) == \
        "loss at epoch 1 np.float64(1.5) vs np.float64(1.0) in the default run"
    assert harness.loss_difference([2.0, nan], [2.0, 1.0]).startswith("loss at epoch 1 ")
    assert harness.loss_difference([2.0, 1.0], [2.0]) == "1 loss values vs 2 in the default run"


def test_verdict_difference_tells_missing_added_and_reordered_findings():
    a, b, c = ("plateau", None, 2, "warning"), ("dead_relu", "dense", 1, "warning"), ("underfitting", None, 0, "error")
    assert harness.verdict_difference([a, b], [a, b]) == ""
    assert harness.verdict_difference([a, b], [b, a]).startswith("same findings in another order")
    assert harness.verdict_difference([a, b], [a, c]) == (
        f"findings only in the default run {[b]}, only in this one {[c]}")


class _FakeDiagnostics:
    def __init__(self, findings):
        self.findings = findings


def test_compare_variants_counts_the_variants_whose_findings_or_losses_differ(monkeypatch):
    plateau = Finding("plateau", "warning", 2, None, "Flat.")
    dead = Finding("dead_relu", "warning", 1, "dense", "Dead.")
    fits = []

    def fake_fit(scenario, seed, jit, strategy=None, **options):
        fits.append(options)
        if options.get("log_layers") is False:   # another verdict, the same losses
            return None, {"loss": [1.0, 0.5]}, [], _FakeDiagnostics([dead])
        return None, {"loss": [1.0, 0.6]}, [], _FakeDiagnostics([plateau])  # the same verdict, other losses

    monkeypatch.setattr(harness, "fit_scenario", fake_fit)
    mismatches, note = harness.compare_variants(None, 0, False, None, harness.identity([plateau]), [1.0, 0.5])
    assert mismatches == 2
    assert fits[0] == {"log_layers": False}
    assert [m.__name__ for m in fits[1]["monitors"]] == [m.__name__ for m in reversed(DEFAULT_MONITORS)]
    assert note.startswith("log_layers=False: findings only in the default run")
    assert "| reversed monitors: loss at epoch 1 " in note
    monkeypatch.setattr(harness, "fit_scenario", lambda *a, **k: (None, {"loss": [1.0]}, [], _FakeDiagnostics([])))
    assert harness.compare_variants(None, 0, False, None, [], [1.0]) == (0, "")


def test_report_mismatches_counts_runs_per_scenario(capsys):
    results = [{"scenario": "a", "seed": 0, "jit": False, "invariance_mismatches": 0},
               {"scenario": "a", "seed": 1, "jit": False, "invariance_mismatches": 2, "invariance_note": "x"},
               {"scenario": "b", "seed": 0, "jit": False, "invariance_mismatches": None}]
    assert diagnosis_accuracy.report_mismatches(results, "invariance", "differs", "runs that differ") == 1
    printed = capsys.readouterr().out
    assert "| a | 2 | 1 |" in printed and "| b |" not in printed
    assert "- a seed=1 jit=False: x" in printed and "runs that differ: 1 of 2" in printed
