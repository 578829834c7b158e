"""benchmarks/repair.py: the win / tie / loss rule against random search, and problems only the user
can fix counted apart from the repair rate (fabricated rows, no training)."""

import pytest

from benchmarks import repair as bench
from diagnostics.repairing import Trial


def _accepted(metric, name="val_loss"):
    return Trial(remedies=(object(),), metrics=[metric], metric_name=name)


@pytest.mark.parametrize(
    ("ours", "theirs", "work", "random_work", "expected"),
    [
        (None, None, 1.3, 1.2, "tie"),
        (0.5, None, 1.3, 1.2, "win"),
        (None, 0.5, 1.3, 1.2, "loss"),
        (0.4, 0.5, 1.3, 1.2, "win"),    # a lower loss wins, whatever the work
        (0.5, 0.4, 1.0, 1.2, "loss"),
        (0.5, 0.5, 1.0, 1.2, "win"),    # same loss, less work
        (0.5, 0.5, 1.2, 1.2, "tie"),
    ],
)
def test_versus_random(ours, theirs, work, random_work, expected):
    accepted = _accepted(ours) if ours is not None else None
    random_accepted = _accepted(theirs) if theirs is not None else None
    assert bench.versus_random(accepted, random_accepted, work, random_work) == expected


def test_versus_random_on_an_accuracy_prefers_the_higher_one():
    name = "val_balanced_accuracy"
    assert bench.versus_random(_accepted(0.8, name), _accepted(0.7, name), 1.3, 1.0) == "win"
    assert bench.versus_random(_accepted(0.7, name), _accepted(0.8, name), 1.0, 1.3) == "loss"


def _row(scenario, kind, detected=True, repairable=True, accepted=False, versus=None):
    row = {"scenario": scenario, "kind": kind, "seed": 0, "error": None, "detected": detected,
           "repairable": repairable, "accepted": accepted, "tried": 2 if repairable else 0,
           "fix_named": False, "fix_accepted": accepted, "work": 1.2 if repairable else 0.0,
           "wall_ratio": 4.0 if repairable else 0.0}
    if versus is not None:
        row["versus_random"] = versus
    return row


def test_summary_counts_user_only_problems_apart():
    rows = [_row("a", "non_finite", repairable=False),
            _row("b", "dead_relu", accepted=True, versus="win"),
            _row("c", "dead_relu", accepted=False, versus="tie"),
            _row("d", "overfitting", accepted=True, versus="loss"),
            _row("e", "healthy", detected=False, repairable=True)]
    rows[-1]["tried"] = 0
    figures = bench.summarize(rows)
    assert figures["detected"] == 4 and figures["not_repairable_by_library"] == 1
    assert figures["repaired"] == 2 and figures["repair_rate"] == pytest.approx(2 / 3, abs=1e-3)
    assert figures["repair_rate_of_all_detected"] == 0.5
    assert (figures["versus_random_win"], figures["versus_random_tie"], figures["versus_random_loss"]) == (1, 1, 1)
    assert figures["better_than_random"] == pytest.approx(1 / 3, abs=1e-3)
    assert figures["healthy_runs"] == 1 and figures["healthy_accepted"] == 0


def test_a_scenario_is_better_than_random_when_repair_wins_most_of_its_seeds():
    rows = [_row("two_of_three", "dead_relu", versus=versus) for versus in ("win", "win", "loss")]
    rows += [_row("half", "saturation", versus=versus) for versus in ("win", "tie")]
    rows += [_row("one_of_three", "overfitting", versus=versus) for versus in ("loss", "win", "loss")]
    assert bench.scenarios_better_than_random(rows) == {"two_of_three": True, "half": False, "one_of_three": False}
    figures = bench.summarize(rows)
    assert figures["scenarios_better_than_random"] == pytest.approx(1 / 3, abs=1e-3)
    assert figures["scenarios_not_better"] == ["half", "one_of_three"]
    assert figures["better_than_random"] == 0.5  # 4 wins in 8 runs
