"""Stalls that begin at chance, saddles too shallow to leave, and what layer findings may explain.

The series are recorded from the accuracy benchmark's runs on digits (10 classes, chance loss
log 10), seed 20: a one-layer tanh net initialised with stddev 1e-4 (a saddle) and a four-layer
one with stddev 1e-3 (a plateau); SGD 0.05, 43 steps per epoch.
"""

import math

import numpy as np
import pytest

from diagnostics import activations, gradients, stall

CHANCE = math.log(10.0)
# Training loss and global gradient norm (mean of minibatch norms: the output bias's sampling noise).
AT_CHANCE_LOSS = [2.3031, 2.3028, 2.3027, 2.3027, 2.3026, 2.3026, 2.3026, 2.3026]
NOISY_GRAD = [0.1557, 0.1549, 0.2704, 0.1451, 0.1467, 0.1719, 0.1385, 0.1654]
# Probes at the initial weights.
SADDLE_PROBE = {"max_eigenvalue": 0.2798, "min_eigenvalue": -0.2798, "weight_norm": 0.0049}
PLATEAU_PROBE = {"max_eigenvalue": 0.1000, "min_eigenvalue": -0.0623, "weight_norm": 0.0748}
LEARNING_RATE, WINDOW_STEPS = 0.05, 3 * 43
VANISHING = {"grad_norm/dense": [6e-10] * 8, "grad_norm/dense_1": [2e-8] * 8, "grad_norm/dense_2": [4e-6] * 8,
             "grad_norm/dense_3": [8e-4] * 8, "grad_norm/dense_4": NOISY_GRAD}
DEAD = {"dead_frac/conv2d": [0.0] * 8, "dead_frac/conv2d_1": [1.0] * 8}
SATURATED = {"saturated_frac/dense": [0.8] * 8, "saturated_frac/dense_1": [0.1] * 8}


def _explaining(history):
    """The layer findings the judge gives the stall: the detectors' own, on the same series."""
    if history is None:
        return None
    return gradients.detect_gradient_problems(history) + activations.detect_activation_problems(history)


def _judge(probe, history=None, run_steps=15 * 43, loss=AT_CHANCE_LOSS, epoch=3):
    return stall.judge_stall(epoch, loss, probe, chance_loss=CHANCE, learning_rate=LEARNING_RATE,
                             steps=WINDOW_STEPS, explaining=_explaining(history), run_steps=run_steps)


def test_a_loss_that_never_left_chance_stalls_whatever_its_noisy_gradient():
    assert stall.stall_epochs(AT_CHANCE_LOSS, NOISY_GRAD) == []  # the noise never halves
    assert stall.stall_epochs(AT_CHANCE_LOSS, NOISY_GRAD, chance_loss=CHANCE) == [3]
    assert stall.stall_epochs(AT_CHANCE_LOSS, [0.0] * 8, chance_loss=CHANCE) == []  # zero_gradient's


def test_a_loss_below_chance_still_needs_a_falling_gradient():
    left_chance = [2.3, 1.6, 1.59, 1.59, 1.59, 1.59]  # below 90% of chance from epoch 1
    assert stall.stall_epochs(left_chance, NOISY_GRAD[:6], chance_loss=CHANCE) == []
    assert stall.stall_epochs(left_chance, [1.0, 0.5, 0.3, 0.2, 0.1, 0.05], chance_loss=CHANCE) == [4]


def test_a_loss_far_above_chance_still_needs_a_falling_gradient():
    bouncing = [300.0, 298.0, 299.0, 298.5, 298.2, 298.9]  # a learning rate far too high
    assert stall.stall_epochs(bouncing, NOISY_GRAD[:6], chance_loss=CHANCE) == []


def test_at_chance_means_within_ten_percent_of_it_from_the_first_epoch():
    assert stall.at_chance(AT_CHANCE_LOSS, CHANCE)
    assert stall.at_chance([1.1 * CHANCE - 1e-6, 0.9 * CHANCE + 1e-6], CHANCE)
    assert not stall.at_chance([1.1 * CHANCE + 1e-6] + AT_CHANCE_LOSS, CHANCE)
    assert not stall.at_chance(AT_CHANCE_LOSS + [0.9 * CHANCE - 1e-6], CHANCE)
    assert not stall.at_chance(AT_CHANCE_LOSS, None)
    assert not stall.at_chance([], CHANCE)


def test_negative_curvature_the_optimizer_cannot_leave_within_the_run_is_a_plateau():
    # lr * |min eigenvalue| * run steps against SADDLE_ESCAPE_EXPONENT = 2.
    assert stall.classify_curvature(1.0, -1.0, learning_rate=0.1, steps=5, run_steps=20) == "saddle_point"
    assert stall.classify_curvature(1.0, -1.0, learning_rate=0.1, steps=5, run_steps=19) == "plateau"
    assert stall.classify_curvature(1.0, -1.0, learning_rate=0.1, steps=5) == "saddle_point"  # run unknown
    # The recorded plateau: escape exponent 0.05 * 0.0623 * 8 * 43 = 1.07.
    assert stall.classify_curvature(0.1, -0.0623, LEARNING_RATE, WINDOW_STEPS, run_steps=8 * 43) == "plateau"
    assert stall.classify_curvature(0.2798, -0.2798, LEARNING_RATE, WINDOW_STEPS, run_steps=15 * 43) == "saddle_point"


def test_steps_too_small_for_a_surface_that_is_not_flat_are_no_plateau():
    # The same spectrum around weights of norm 9: a step of the weight norm along the sharpest
    # direction changes the loss by 0.5 * 0.1 * 81 = 4 > 0.1 * 2.3.
    assert stall.classify_curvature(0.1, -0.0623, LEARNING_RATE, WINDOW_STEPS, 9.0, 2.3, 8 * 43) == "minimum"
    assert stall.classify_curvature(0.1, 0.0, 1e-5, WINDOW_STEPS, 9.0, 2.3) == "minimum"
    assert stall.classify_curvature(0.1, 0.0, 1e-5, WINDOW_STEPS, 0.0748, 2.3) == "plateau"
    assert stall.classify_curvature(0.1, 0.0, 1e-5, WINDOW_STEPS) == "plateau"  # weights unknown
    assert stall.surface_is_flat(0.1, 2.0, 2.1) and not stall.surface_is_flat(0.1, 2.0, 1.9)
    assert stall.surface_is_flat(0.1, None, 2.3) is None


def test_a_plateau_with_vanishing_gradients_is_reported_and_names_them():
    finding = _judge(PLATEAU_PROBE, VANISHING, run_steps=8 * 43)
    assert finding.kind == "plateau"
    assert "vanishing gradient in layer 'dense'" in finding.message
    assert finding.evidence["escape_exponent"] == pytest.approx(0.05 * 0.0623 * 8 * 43)
    assert _judge(PLATEAU_PROBE, None, run_steps=8 * 43).message.endswith("where to go.")


def test_dead_or_saturated_units_explain_a_plateau():
    assert _judge(PLATEAU_PROBE, DEAD, run_steps=8 * 43) is None
    assert _judge(PLATEAU_PROBE, SATURATED, run_steps=8 * 43) is None


def test_a_saddle_as_negative_as_it_is_positive_is_reported_beside_vanishing_or_saturated_units():
    for history in (None, VANISHING, SATURATED):
        assert _judge(SADDLE_PROBE, history).kind == "saddle_point"
    assert "saturation in layer 'dense'" in _judge(SADDLE_PROBE, SATURATED).message


def test_a_wholly_dead_layer_not_the_curvature_is_the_stall():
    # Nothing passes through conv2d_1 (100% dead): however negative the curvature of the rest.
    assert _judge(SADDLE_PROBE, DEAD) is None
    partly_dead = {"dead_frac/conv2d": [0.0] * 8, "dead_frac/conv2d_1": [0.9] * 8}
    assert _judge(SADDLE_PROBE, partly_dead).kind == "saddle_point"
    # Probed at the initial weights, where the stall began, the saddle came first: the units died in it.
    assert _judge(dict(SADDLE_PROBE, weights="initial"), DEAD).kind == "saddle_point"


def test_a_saddle_needs_an_escape_step_that_lowers_the_loss_beyond_rounding():
    # Recorded on the four-conv ReLU net at 1e-3 (seed 0): 9.3e-7 of the loss, 7% of the quadratic
    # model's prediction at that step length.
    assert _judge(dict(SADDLE_PROBE, escape_drop=9.3e-7, escape_predicted=1.3e-5)).kind == "saddle_point"
    within_rounding = dict(SADDLE_PROBE, escape_drop=2e-7, escape_predicted=1.3e-5)
    assert _judge(within_rounding, run_steps=8 * 43).kind == "plateau"
    rising = dict(SADDLE_PROBE, escape_drop=-3e-3)
    assert _judge(rising, run_steps=8 * 43).kind == "plateau"


def test_a_weaker_saddle_is_explained_by_layer_findings():
    weaker = {"max_eigenvalue": 0.28, "min_eigenvalue": -0.13}  # ratio 0.46 < SADDLE_DOMINANT_RATIO
    assert _judge(weaker).kind == "saddle_point"
    for history in (VANISHING, DEAD, SATURATED):
        assert _judge(weaker, history) is None


def test_a_dominant_saddle_below_a_high_loss_is_explained_by_layer_findings():
    # A deep net whose loss fell slowly to 0.9 (under half its start, chance unknown) with
    # vanishing gradients: no saddle, however negative the curvature.
    falling = [2.3, 1.6, 1.2, 0.95, 0.905, 0.9, 0.9, 0.9]
    found = stall.judge_stall(6, falling, SADDLE_PROBE, explaining=_explaining(VANISHING))
    assert found is None
    assert stall.judge_stall(6, falling, SADDLE_PROBE).kind == "saddle_point"


def test_detect_stalls_uses_the_chance_loss_and_the_run_steps_of_the_probes():
    history = {"loss": AT_CHANCE_LOSS, "global_grad_norm": NOISY_GRAD}
    probe = dict(PLATEAU_PROBE, epoch=3, learning_rate=LEARNING_RATE, steps=WINDOW_STEPS)
    assert stall.detect_stalls(history, [probe]) == []
    assert [f.kind for f in stall.detect_stalls(history, [probe], chance_loss=CHANCE)] == ["saddle_point"]
    short_run = dict(probe, run_steps=8 * 43)
    assert [f.kind for f in stall.detect_stalls(history, [short_run], chance_loss=CHANCE)] == ["plateau"]


def test_a_stall_began_at_the_initial_weights_only_at_their_loss_and_gradient():
    # Recorded on the probe batch: a saddle at a tiny initialisation, and a ReLU CNN at SGD 3 that
    # climbed away from a normal initialisation and died there.
    assert stall.began_at_start(2.30259, 2.30314, 0.0623, 0.0632)
    assert not stall.began_at_start(2.311, 2.537, 0.384, 0.262)
    assert stall.began_at_start(2.0, 2.0199, 1.0, 0.5)
    assert not stall.began_at_start(2.0, 2.02, 1.0, 0.5)  # 1% away
    assert not stall.began_at_start(2.0, 1.98, 1.0, 0.5)  # descended 1%
    assert not stall.began_at_start(2.0, 2.0, 1.0, 0.4999)  # the gradient fell below half
    assert not stall.began_at_start(2.0, float("nan"), 1.0, 1.0)


@pytest.mark.parametrize("stall_loss", [0.2, 0.05, 1e-4])
def test_no_curvature_changes_the_judgement_where_it_cannot_matter(stall_loss):
    """Below a tenth of the chance loss (log 10 = 2.30), every curvature gives no finding, and
    `curvature_can_matter` says so; above it, a strict saddle is reported."""
    chance = float(np.log(10))
    loss = [chance, 1.0, stall_loss, stall_loss, stall_loss, stall_loss]
    saddle = {"max_eigenvalue": 1.0, "min_eigenvalue": -1.0}
    flat = {"max_eigenvalue": 1e-6, "min_eigenvalue": -1e-7}
    judged = [stall.judge_stall(5, loss, curvature, chance_loss=chance) for curvature in (saddle, flat, None)]
    can_matter = stall.curvature_can_matter(stall_loss, chance)
    assert can_matter == (stall_loss >= 0.1 * chance)
    if can_matter:
        assert judged[0] is not None and judged[0].kind == "saddle_point"
    else:
        assert judged == [None, None, None]


# Recorded on held-out split 3's tanh MLP with every hidden kernel zero (seed 31, SGD 0.1, 8 epochs
# of 43 steps): the two lower layers' gradients are exactly zero, the probe at the initial
# weights finds -0.05 against 0.417, and 0.1 * 0.05 * 344 = 1.72 is under the escape exponent.
ZERO_START_PROBE = {"max_eigenvalue": 0.4166, "min_eigenvalue": -0.04999, "weight_norm": 3.8197,
                    "escape_drop": 1.36e-3, "weights": "initial"}
ZERO_START_LOSS = [2.3052, 2.3054, 2.3056, 2.3057, 2.3058, 2.3058, 2.3058, 2.3058]
ZERO_START_GRADIENTS = {"grad_norm/dense": [0.0] * 8, "grad_norm/dense_1": [0.0] * 8,
                        "grad_norm/dense_2": [0.18, 0.176, 0.176, 0.176, 0.175, 0.175, 0.175, 0.175],
                        "grad_norm/dense_3": [0.181, 0.18, 0.179, 0.179, 0.179, 0.179, 0.179, 0.179]}


def test_layers_held_at_exactly_zero_gradient_are_stationary_only_while_others_move():
    assert stall.stationary_layers(ZERO_START_GRADIENTS, 3) == ["dense", "dense_1"]
    moved_later = dict(ZERO_START_GRADIENTS, **{"grad_norm/dense_1": [0.0] * 4 + [1e-12] * 4})
    assert stall.stationary_layers(moved_later, 3) == ["dense", "dense_1"]
    assert stall.stationary_layers(moved_later, 4) == ["dense"]
    everything_zero = {key: [0.0] * 8 for key in ZERO_START_GRADIENTS}  # zero_gradient's finding
    assert stall.stationary_layers(everything_zero, 3) == []
    assert stall.stationary_layers({"loss": ZERO_START_LOSS}, 3) == []


def test_a_saddle_held_by_exactly_zero_gradients_needs_no_escape_within_the_run():
    def judged(stationary, explaining=None):
        return stall.judge_stall(3, ZERO_START_LOSS, ZERO_START_PROBE, chance_loss=CHANCE, learning_rate=0.1,
                                 steps=WINDOW_STEPS, run_steps=8 * 43, explaining=explaining, stationary=stationary)

    assert judged(None) is None  # moving weights: too shallow to leave in 344 steps, a learning-rate matter
    finding = judged(stall.stationary_layers(ZERO_START_GRADIENTS, 3))
    assert finding.kind == "saddle_point"
    assert finding.evidence["stationary_layers"] == ["dense", "dense_1"]
    assert "'dense', 'dense_1' has been exactly zero" in finding.message
    # Layer findings that explain the stall (a wholly dead layer also has zero gradients) keep it theirs.
    assert judged(["dense"], _explaining(DEAD)) is None


def test_an_adaptive_optimizer_s_negative_curvature_is_a_saddle_only_where_layers_are_held_still():
    # Adam moves every coordinate by about its rate, however small the gradient: it leaves a
    # strict saddle within a few steps, so a stall that lasts at negative curvature is held by
    # something else; not where layers sit exactly still (a symmetric start), which no step leaves.
    assert stall.classify_curvature(0.5, -0.06) == "saddle_point"  # optimizer unknown: as before
    assert stall.classify_curvature(0.5, -0.06, adaptive=True) == "minimum"  # flatness unknown: not told
    assert stall.classify_curvature(0.5, -0.06, weight_norm=2.0, loss=0.69, adaptive=True) == "minimum"
    assert stall.classify_curvature(0.5, -0.06, weight_norm=2.0, loss=0.69, adaptive=True,
                                    stationary=True) == "saddle_point"
