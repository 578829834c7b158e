"""The through-time detectors on recorded series: thresholds, the sustained rule, the stalled-loss
condition, and how the judge relates and remedies their findings."""

import math

import pytest

from diagnostics import judge
from diagnostics.time_gradients import (TIME_EXPLODING_GROWTH, TIME_VANISHING_GROWTH, TIME_VANISHING_SHARE,
                                        detect_time_gradient_problems)

STEPS = {"rnn": {"timesteps": 60, "first_informative": 0, "last_informative": 59}}


def _history(growth, share, loss):
    return {"time_grad_growth/rnn": list(growth), "time_grad_share/rnn": list(share), "loss": list(loss)}


def test_growth_sustained_over_two_epochs_explodes_and_says_by_how_much_per_step():
    history = _history([4e7, 2e7, 3e7], [1.0] * 3, [1.4, 1.3, 1.2])

    [finding] = detect_time_gradient_problems(history, STEPS, chance_loss=1.0986)

    assert (finding.kind, finding.layer, finding.epoch) == ("exploding_gradient", "rnn", 0)
    assert finding.evidence["per_step"] == pytest.approx(4e7 ** (1 / 59))
    assert "step 0" in finding.message and "step 59" in finding.message


@pytest.mark.parametrize("growth", [
    [4e7, 10.0, 4e7],                               # never two epochs in a row
    [TIME_EXPLODING_GROWTH / 2] * 3,                # under the threshold
    [math.nan, 4e7, math.nan],                      # measured once
])
def test_growth_that_is_not_sustained_is_no_finding(growth):
    assert detect_time_gradient_problems(_history(growth, [1.0] * 3, [1.4] * 3), STEPS) == []


def test_a_starved_informative_share_vanishes_only_while_the_loss_stays_high():
    starved = [1e-4, 1e-4, 1e-4]
    stalled = detect_time_gradient_problems(_history([0.2] * 3, starved, [0.69, 0.68, 0.68]), STEPS,
                                            chance_loss=0.693)
    learned = detect_time_gradient_problems(_history([0.2] * 3, starved, [0.69, 0.30, 0.10]), STEPS,
                                            chance_loss=0.693)

    assert [(f.kind, f.epoch) for f in stalled] == [("vanishing_gradient", 0)]
    assert stalled[0].evidence["informative_steps"] == [0, 59]
    assert learned == []  # from epoch 1 the loss is under half of chance: never two epochs starved


def test_a_share_just_above_the_threshold_is_no_finding():
    share = [TIME_VANISHING_SHARE * 1.5] * 3
    assert detect_time_gradient_problems(_history([0.2] * 3, share, [0.69] * 3), STEPS, chance_loss=0.693) == []


def test_a_gradient_that_decays_back_through_time_vanishes_only_while_the_loss_stays_high():
    decayed = [1e-15, 2e-15, 1e-15]
    stalled = detect_time_gradient_problems(_history(decayed, [1.0] * 3, [0.69, 0.69, 0.68]), STEPS,
                                            chance_loss=0.693)
    learned = detect_time_gradient_problems(_history(decayed, [1.0] * 3, [0.69, 0.68, 0.60]), STEPS,
                                            chance_loss=0.693)  # left chance (below 0.9 of it) at the end
    unknown = detect_time_gradient_problems(_history(decayed, [1.0] * 3, [0.69, 0.69, 0.68]), STEPS)

    assert [(f.kind, f.severity, f.epoch) for f in stalled] == [("vanishing_gradient", "error", 0)]
    assert unknown == []
    assert stalled[0].evidence["time_growth"] == 1e-15
    assert "step 0, which it reads first" in stalled[0].message and "step 59, which it reads last" in stalled[0].message
    assert learned == []


def test_a_decay_just_above_the_threshold_is_no_finding():
    growth = [TIME_VANISHING_GROWTH * 1.5] * 3
    assert detect_time_gradient_problems(_history(growth, [1.0] * 3, [0.69] * 3), STEPS, chance_loss=0.693) == []


def test_a_layer_read_backwards_is_named_in_its_reading_order():
    steps = {"rnn": {**STEPS["rnn"], "read_first": 59, "read_last": 0}}
    [exploding] = detect_time_gradient_problems(_history([4e7] * 3, [1.0] * 3, [1.4] * 3), steps)
    assert "at time step 59 is 4.0e+07 times the one at step 0" in exploding.message
    assert exploding.evidence["per_step"] == pytest.approx(4e7 ** (1 / 59))


def _record(history):
    return {"history": history, "meta": {"monitors": ["GradientMonitor", "ActivationMonitor"], "chance_loss": 1.0986},
            "extras": {"GradientMonitor": {"layers": ["rnn", "out"], "recurrent": STEPS}}}


def test_a_chaotic_state_explains_its_saturated_units():
    history = _history([4e7] * 4, [1.0] * 4, [1.2] * 4)
    history.update({"grad_norm/rnn": [0.1] * 4, "grad_norm/out": [0.1] * 4,
                    "saturated_frac/rnn": [0.99] * 4, "dead_frac/rnn": [0.0] * 4})

    findings = judge(_record(history))

    kinds = [f.kind for f in findings]
    assert kinds[0] == "exploding_gradient"
    saturation = next(f for f in findings if f.kind == "saturation")
    assert saturation.explained_by == "exploding_gradient"


def test_through_time_remedies_differ_from_the_depth_ones():
    history = _history([0.2] * 3, [1e-5] * 3, [0.69] * 3)
    history.update({"grad_norm/rnn": [0.1] * 3, "grad_norm/out": [0.1] * 3})
    vanishing = next(f for f in judge(_record(history)) if f.kind == "vanishing_gradient")
    history["time_grad_growth/rnn"], history["time_grad_share/rnn"] = [1e-15] * 3, [1.0] * 3
    history["loss"] = [1.1] * 3  # at the record's chance loss
    decayed = next(f for f in judge(_record(history)) if f.kind == "vanishing_gradient")
    history["time_grad_growth/rnn"], history["time_grad_share/rnn"] = [4e7] * 3, [1.0] * 3
    exploding = next(f for f in judge(_record(history)) if f.kind == "exploding_gradient")

    assert vanishing.remedies[0].sentence.startswith("Mask the padding")
    assert decayed.remedies[0].sentence.startswith("Use gated cells") and not decayed.remedies[0].applicable
    assert not any(r.action == "set_activation" for r in vanishing.remedies + decayed.remedies)
    assert (exploding.remedies[0].action, exploding.remedies[0].params) == ("clip_gradients", {"global_clipnorm": 1.0})
