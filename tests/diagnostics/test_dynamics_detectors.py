"""The training-dynamics detectors as pure functions over synthetic curves."""

import math

import numpy as np
import pytest

from diagnostics import activations, generalization, gradients, oscillation, stall
from diagnostics.judgement import judge


def _healthy(epochs, seed, start=2.3, floor=0.05, rate=0.3, noise=0.02, val_gap=0.1):
    """A loss that decays geometrically with a little multiplicative noise; val a bit above it."""
    rng = np.random.default_rng(seed)
    t = np.arange(epochs)
    loss = floor + (start - floor) * np.exp(-rate * t)
    loss = loss * (1 + noise * rng.standard_normal(epochs))
    val = (loss + val_gap * (1 - np.exp(-rate * t))) * (1 + noise * rng.standard_normal(epochs))
    return {"loss": loss.tolist(), "val_loss": val.tolist()}


# -- overfitting ------------------------------------------------------------------------------------


def test_overfitting_onset_and_best_epoch():
    history = {"loss": [2.0, 1.0, 0.6, 0.4, 0.3, 0.2, 0.15, 0.1, 0.07, 0.05],
               "val_loss": [2.0, 1.2, 0.8, 0.7, 0.72, 0.78, 0.85, 0.9, 1.0, 1.1]}
    [finding] = generalization.detect_overfitting(history)
    assert (finding.kind, finding.epoch, finding.evidence["best_epoch"]) == ("overfitting", 4, 3)
    assert finding.evidence["gap_at_end"] > finding.evidence["gap_at_best"]


def test_overfitting_in_max_mode_on_accuracy():
    history = {"accuracy": [0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99, 1.0],
               "val_accuracy": [0.5, 0.65, 0.75, 0.74, 0.72, 0.7, 0.69, 0.68]}
    [finding] = generalization.detect_overfitting(history, monitor="val_accuracy")
    assert finding.epoch == 3 and finding.evidence["best_epoch"] == 2


_NOT_OVERFITTING = [
    # Validation loss rises but training loss is flat: not memorisation.
    ([1.0, 0.8, 0.7, 0.75, 0.8, 0.85, 0.9], [1.0, 0.8, 0.7, 0.7, 0.7, 0.7, 0.7]),
    # A rise of 2%: noise.
    ([1.0, 0.8, 0.7, 0.71, 0.712, 0.714, 0.714], [1.0, 0.8, 0.6, 0.5, 0.4, 0.3, 0.2]),
    # A rise that has not lasted `patience` epochs.
    ([1.0, 0.8, 0.7, 0.6, 0.5, 0.6, 0.7], [1.0, 0.8, 0.6, 0.5, 0.4, 0.3, 0.2]),
    # It came back below the best at the end.
    ([1.0, 0.8, 0.7, 0.8, 0.9, 0.8, 0.69], [1.0, 0.8, 0.6, 0.5, 0.4, 0.3, 0.2]),
    # A linear regression converged within its first epoch (SGD, 240 samples, noise 0.5): its
    # epoch-0 training loss is the mean over the fall, so it drops; the model no longer changes.
    ([0.242, 0.255, 0.256, 0.256, 0.256, 0.256], [0.954, 0.299, 0.299, 0.299, 0.299, 0.299]),
]


def test_no_overfitting_for_a_model_that_never_learned():
    # Like digits with SGD at lr 10: the loss stays ~60-130x the chance loss; val_loss moves at
    # random, and the training loss happens to fall.
    history = {"loss": [245.5, 283.2, 150.6, 147.6, 154.4, 146.9, 140.0],
               "val_loss": [202.4, 435.8, 340.9, 360.7, 301.1, 305.2, 320.0]}
    assert generalization.detect_overfitting(history)  # without the chance loss it would be called
    assert generalization.detect_overfitting(history, chance=np.log(10.0)) == []


def test_no_overfitting_without_a_sustained_rise_against_falling_training_loss():
    for val_loss, loss in _NOT_OVERFITTING:
        assert generalization.detect_overfitting({"loss": loss, "val_loss": val_loss}) == [], val_loss


def test_no_overfitting_when_the_validation_loss_ends_too_close_to_the_training_loss_to_matter():
    # A binary task (chance log 2) fitted near perfectly: the validation loss rises almost fivefold
    # against a training loss that still falls, but ends 0.013 above it, 2% of guessing's loss.
    loss = [0.3, 0.05, 0.02, 0.012, 0.009, 0.007, 0.006]
    val_loss = [0.1, 0.01, 0.004, 0.008, 0.012, 0.016, 0.019]
    chance = np.log(2.0)
    assert generalization.detect_overfitting({"loss": loss, "val_loss": val_loss}, chance=chance) == []
    # The same curves 20 times higher (a gap of 0.26, 38% of guessing's loss) are overfitting.
    scaled = {"loss": [20 * v for v in loss], "val_loss": [20 * v for v in val_loss]}
    assert [f.kind for f in generalization.detect_overfitting(scaled, chance=chance)] == ["overfitting"]
    assert [f.kind for f in generalization.detect_overfitting({"loss": loss, "val_loss": val_loss})] \
        == ["overfitting"]  # without the chance loss there is nothing to weigh the gap against


def test_a_validation_loss_drifting_up_less_than_a_tenth_is_no_overfitting():
    # A converged model's cross-entropy creeps up on a few confident mistakes: 6% is no finding,
    # the same curve rising 15% is one. Accuracy (maximised) keeps its 5% (the test above).
    loss = [1.0, 0.55, 0.4, 0.33, 0.28, 0.24, 0.2, 0.17, 0.15]
    drifting = {"loss": loss, "val_loss": [1.0, 0.6, 0.45, 0.40, 0.41, 0.415, 0.42, 0.425, 0.428]}
    assert generalization.detect_overfitting(drifting) == []
    rising = {"loss": loss, "val_loss": [1.0, 0.6, 0.45, 0.40, 0.41, 0.42, 0.44, 0.46, 0.47]}
    [finding] = generalization.detect_overfitting(rising)
    assert finding.evidence["best_epoch"] == 3 and finding.evidence["relative_rise"] == pytest.approx(0.15)


def test_a_memorised_training_set_makes_a_small_rise_overfitting():
    # A 256-unit MLP on 100 digits (tests/callbacks/test_dynamics_faults.py, seed 0, recorded; its
    # last three validation losses lowered to a 7% rise): the training loss ends at 0.003 against 0.5.
    val = [1.5355, 0.8142, 0.7116, 0.4759, 0.5048, 0.5199, 0.5147, 0.5237, 0.5253, 0.5132, 0.5223, 0.5092,
           0.5095, 0.5098]
    loss = [1.948, 0.8614, 0.2398, 0.0945, 0.04, 0.0213, 0.0128, 0.0088, 0.0068, 0.0052, 0.0046, 0.0037, 0.0033,
            0.0028]
    [finding] = generalization.detect_overfitting({"loss": loss, "val_loss": val}, chance=math.log(10))
    assert finding.evidence["best_epoch"] == 3 and finding.evidence["relative_rise"] == pytest.approx(0.0706, abs=1e-4)
    # The same rise while the training loss stays near the validation loss: the drift of a converged fit.
    near = [v - 0.03 for v in val]
    assert generalization.detect_overfitting({"loss": near, "val_loss": val}, chance=math.log(10)) == []


def test_min_delta_makes_small_dips_not_a_new_best():
    values = [1.0, 0.9, 0.895, 0.89, 0.95]
    assert generalization.best_epoch(values, "min", min_delta=0.0) == 3
    assert generalization.best_epoch(values, "min", min_delta=0.02) == 1


# -- underfitting -----------------------------------------------------------------------------------


def test_underfitting_near_chance():
    chance = generalization.chance_loss("sparse_categorical_crossentropy", 10)
    assert chance == pytest.approx(math.log(10))
    [finding] = generalization.detect_underfitting({"loss": [2.35, 2.31, 2.30, 2.29]}, chance)
    assert finding.kind == "underfitting" and finding.evidence["ratio_to_chance"] > 0.9


def test_no_underfitting():
    for loss in (
        [2.3, 1.5, 1.0, 0.8],             # learned well below chance
        [300.0, 280.0, 310.0, 290.0],     # far above chance: a broken run, not underfitting
        [2.3, 2.3],                       # too early to tell
    ):
        assert generalization.detect_underfitting({"loss": loss}, math.log(10)) == [], loss


def test_underfitting_by_crawling_when_chance_is_unknown():
    crawling = {"loss": [1.0 - 0.004 * t for t in range(8)]}
    [finding] = generalization.detect_underfitting(crawling)
    assert finding.evidence["relative_drop"] < 0.05
    converged = {"loss": [0.1 + 0.004 * 0.5**t for t in range(8)]}  # decelerating: converged
    assert generalization.detect_underfitting(converged) == []


def test_chance_loss_names():
    assert generalization.chance_loss("binary_crossentropy", 1) == pytest.approx(math.log(2))
    assert generalization.chance_loss("categorical_crossentropy", 3) == pytest.approx(math.log(3))
    assert generalization.chance_loss("mse", 10) is None
    with pytest.raises(ValueError, match="Received: mode='up'"):
        generalization.resolve_mode("val_loss", "up")


# -- oscillation ------------------------------------------------------------------------------------


def test_oscillation_found_on_bouncing_loss():
    history = {"loss": [2.3, 1.5, 2.6, 1.4, 2.5, 1.6, 2.7, 1.5]}
    [finding] = oscillation.detect_oscillation(history)
    assert finding.kind == "oscillation" and finding.epoch == 0
    assert finding.evidence["sign_change_fraction"] >= 0.5


def test_oscillation_onset_after_a_good_start():
    history = {"loss": [2.3, 1.2, 0.8, 0.6, 1.4, 0.5, 1.5, 0.6, 1.6, 0.5]}
    [finding] = oscillation.detect_oscillation(history)
    assert 1 <= finding.epoch <= 3


def test_step_level_oscillation_needs_two_windows():
    blocks = [2.0, 3.0, 2.0, 3.1, 2.1, 3.0, 2.0, 2.9]
    [finding] = oscillation.detect_oscillation({"loss": [2.5, 2.5]}, step_losses=blocks, values_per_epoch=4)
    assert finding.epoch == 0 and "blocks of steps" in finding.message
    assert oscillation.detect_oscillation({"loss": [2.5]}, step_losses=blocks[:6]) == []


def test_swings_of_blocks_while_the_validation_loss_falls_every_epoch_are_noise_at_the_floor():
    blocks = [0.30, 0.52, 0.28, 0.50, 0.27, 0.49, 0.26, 0.47, 0.25, 0.46, 0.24, 0.45]
    loss = [0.41, 0.37, 0.33, 0.30, 0.27, 0.25]
    falling = {"loss": loss, "val_loss": [0.50, 0.46, 0.43, 0.41, 0.40, 0.395]}
    assert oscillation.detect_oscillation(falling, step_losses=blocks, values_per_epoch=2) == []
    # One epoch where the validation loss rises: the swings may overshoot, and they are judged.
    stalled = {"loss": loss, "val_loss": [0.50, 0.46, 0.43, 0.44, 0.40, 0.395]}
    [finding] = oscillation.detect_oscillation(stalled, step_losses=blocks, values_per_epoch=2)
    assert finding.kind == "oscillation" and finding.epoch == 0
    # Too short a validation series to speak for the run, or recorded at some epochs only.
    assert oscillation.detect_oscillation({"loss": loss[:3], "val_loss": [0.5, 0.46, 0.43]},
                                          step_losses=blocks[:6] * 2, values_per_epoch=4) != []
    assert oscillation.detect_oscillation({"loss": loss, "val_loss": [0.5, 0.46, 0.43]},
                                          step_losses=blocks, values_per_epoch=2) != []


def test_blocks_that_swing_on_a_descent_that_halves_the_loss_are_no_oscillation():
    blocks = [2.3, 2.1, 1.9, 1.7, 1.5, 1.3,                      # epochs 0-1: a clean descent
              1.23, 0.91, 1.09, 1.05, 0.66, 0.84, 0.51, 1.06, 0.57]  # epochs 2-4: swings on the way down
    descent = {"loss": [2.0, 1.4, 0.95, 0.62, 0.41]}
    assert oscillation.detect_oscillation(descent, step_losses=blocks, values_per_epoch=3) == []
    # The same swings over epoch losses that only drift down by a tenth: steps that overshoot.
    drift = {"loss": [2.0, 1.4, 0.95, 0.90, 0.86]}
    [finding] = oscillation.detect_oscillation(drift, step_losses=blocks, values_per_epoch=3)
    assert finding.kind == "oscillation"


def test_epoch_losses_that_swing_after_a_descent_halved_the_swinging_blocks_still_oscillate():
    # Recorded: an LSTM on 100-step sequences at SGD 1.0 without clipping (held-out split 7, seed
    # 31), three blocks of steps an epoch. Its first block windows swing while the loss halves (a
    # descent); from epoch 4 the epoch losses themselves bounce between 0.06 and 0.49.
    loss = [0.7731, 0.6278, 0.6491, 0.381, 0.2954, 0.3427, 0.1255, 0.0624, 0.1637, 0.4883, 0.2705, 0.056]
    blocks = [0.698, 0.558, 1.095, 0.738, 0.675, 0.598, 0.717, 0.691, 0.625, 0.599, 0.534, 0.170, 0.469, 0.377,
              0.142, 0.468, 0.499, 0.183, 0.274, 0.075, 0.073, 0.049, 0.111, 0.031, 0.027, 0.107, 0.047, 0.563,
              0.534, 0.337, 0.418, 0.109, 0.345, 0.108, 0.041, 0.024]
    assert oscillation.oscillating_windows(blocks)[0] == 0 and oscillation.oscillating_windows(loss)[0] == 4
    [finding] = oscillation.detect_oscillation({"loss": loss}, step_losses=blocks, values_per_epoch=3)
    assert (finding.epoch, finding.evidence["low"], finding.evidence["high"]) == (4, 0.0624, 0.4883)


# Recorded: an LSTM on 100-step sequences at SGD 1.0 with clipnorm=1 (held-out split 7's healthy
# twin, seed 47): three epochs of swings, then the loss settles far below them.
ROUGH_THEN_DOWN = [0.4443, 0.1736, 0.09951, 0.3214, 0.2868, 0.197, 0.06681, 0.05094, 0.02569, 0.04902,
                   0.04912, 0.02229]


def test_epoch_swings_after_which_the_loss_settles_below_them_are_no_oscillation():
    assert oscillation.oscillating_windows(ROUGH_THEN_DOWN) == [1]
    assert oscillation.detect_oscillation({"loss": ROUGH_THEN_DOWN}) == []
    # The same swings, but the loss keeps bouncing at their level to the end: it oscillates.
    bouncing = ROUGH_THEN_DOWN[:7] + [0.2, 0.09, 0.25, 0.1, 0.22]
    [finding] = oscillation.detect_oscillation({"loss": bouncing})
    assert (finding.epoch, finding.evidence["low"], finding.evidence["high"]) == (1, 0.06681, 0.3214)


def test_no_oscillation_on_healthy_curves():
    for seed in range(10):
        assert oscillation.detect_oscillation(_healthy(30, seed, noise=0.05)) == [], seed
    # Ripples of a converged run near zero loss are large relative to the loss, small to the run.
    ripples = {"loss": [2.3, 0.5, 0.1] + [0.02 + 0.01 * (t % 2) for t in range(12)]}
    assert oscillation.detect_oscillation(ripples) == []


def test_loss_far_above_chance_is_unstable_whatever_its_swings():
    chance = np.log(10.0)
    history = {"loss": [251.3, 284.7, 305.6, 301.0, 302.2, 316.7]}  # SGD at lr 10 (digits MLP)
    [finding] = oscillation.detect_oscillation(history, chance_loss=chance)
    assert (finding.kind, finding.epoch, finding.severity) == ("oscillation", 0, "error")
    assert finding.evidence["ratio_to_chance"] == pytest.approx(301.6 / chance)  # the median loss
    assert "learning rate" in finding.advice[0].lower()
    # A bad start on its way down is not unstable: the loss halves.
    assert oscillation.detect_oscillation({"loss": [40.0, 12.0, 6.0, 3.0]}, chance_loss=chance) == []


def test_rising_loss_is_unstable_from_where_it_stays_doubled():
    blocks = [1.0, 1.1, 1.2, 1.3]
    history = {"loss": [1.2, 1.5, 2.6, 3.0, 3.4]}
    [finding] = oscillation.detect_oscillation(history, step_losses=blocks)
    assert finding.epoch == 2 and finding.evidence["ratio_to_start"] == pytest.approx(3.0)
    # Ending non-finite is `non_finite`'s, not this detector's.
    assert oscillation.detect_oscillation({"loss": [1.2, 2.6, 3.0, np.nan]}) == []


def test_a_run_whose_weights_do_not_move_never_oscillates():
    history = {"loss": [2.3, 1.5, 2.6, 1.4, 2.5, 1.6, 2.7, 1.5]}
    assert oscillation.detect_oscillation(history, weights_move=False) == []


# -- stalls -----------------------------------------------------------------------------------------


def test_stall_epochs_one_per_episode():
    loss = [2.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5, 0.2, 0.1, 0.1, 0.1, 0.1]
    grad = [1.0, 0.8, 0.3, 0.2, 0.1, 0.1, 0.05, 0.3, 0.2, 0.1, 0.05, 0.02]
    assert stall.stall_epochs(loss, grad) == [5, 11]
    # An undiminished gradient norm is a step-size problem, not a stall.
    assert stall.stall_epochs(loss, [1.0] * len(loss)) == []


def test_a_loss_that_went_back_up_is_a_setback_not_a_stall():
    # Epoch 5 sits 0.1 above the best before it: no stall there. Epoch 11 gains under 1% of the
    # scale at the run's floor, a convergence that the curvature judges.
    assert stall.stall_epochs(ROUGH_THEN_DOWN) == [11]
    # Hovering at its best instead: a stall.
    assert stall.stall_epochs([0.44, 0.17, 0.10, 0.10, 0.101, 0.10]) == [5]


_CURVATURES = [
    (2.0, -2.0, {}, "saddle_point"),
    (10.0, -0.5, {}, "minimum"),                  # 5% negative: noise of a converged net
    (1e-4, -1e-6, {"learning_rate": 0.01, "steps": 100}, "plateau"),
    (5.0, 0.1, {"learning_rate": 0.01, "steps": 100}, "minimum"),
    (1e-4, 0.0, {"weight_norm": 3.0, "loss": 2.3}, "plateau"),
    (1.0, 0.0, {"weight_norm": 3.0, "loss": 2.3}, "minimum"),
    (0.0, 0.0, {}, "plateau"),
]


def test_classify_curvature():
    for lam_max, lam_min, kwargs, kind in _CURVATURES:
        assert stall.classify_curvature(lam_max, lam_min, **kwargs) == kind, (lam_max, lam_min, kwargs)


def test_judge_stall_reports_plateau_only_when_the_loss_is_high():
    flat = {"max_eigenvalue": 1e-5, "min_eigenvalue": -1e-7, "weight_norm": 1.0}
    high = stall.judge_stall(5, [2.3, 2.25, 2.2, 2.2, 2.2, 2.2], flat)
    assert high.kind == "plateau" and high.evidence["max_eigenvalue"] == 1e-5
    assert stall.judge_stall(5, [2.3, 1.0, 0.1, 0.01, 0.01, 0.01], flat) is None
    minimum = {"max_eigenvalue": 3.0, "min_eigenvalue": 0.01, "weight_norm": 5.0}
    assert stall.judge_stall(5, [2.3, 2.25, 2.2, 2.2, 2.2, 2.2], minimum) is None


def test_detect_stalls_from_history_and_probes():
    history = {"loss": [1.0, 0.5, 0.3, 0.3, 0.3, 0.3], "grad_norm/a": [1.0, 0.6, 0.3, 0.2, 0.1, 0.05],
               "grad_norm/b": [0.0] * 6}
    np.testing.assert_allclose(stall.global_grad_norm(history), history["grad_norm/a"])
    probes = [{"epoch": 5, "max_eigenvalue": 2.0, "min_eigenvalue": -1.0, "hvps": 12}]
    [finding] = stall.detect_stalls(history, probes)
    assert finding.kind == "saddle_point" and finding.evidence["hvps"] == 12
    assert stall.detect_stalls(history) == []  # 0.3 is not high against 1.0: a quiet minimum


def test_escape_step_is_bounded():
    assert stall.escape_step(0.5, 1.0, 10.0) == 0.0
    step = stall.escape_step(-2.0, 1.0, 10.0)
    assert step == pytest.approx(math.sqrt(2 * 0.1 * 1.0 / 2.0))
    assert stall.escape_step(-1e-9, 1.0, 10.0) == pytest.approx(1.0)  # capped at 10% of |w|


def test_every_detector_quiet_on_healthy_curves():
    chance = math.log(10)
    for seed in range(20):
        history = _healthy(25, seed, rate=0.1 + 0.02 * seed, val_gap=0.02 * seed)
        findings = (generalization.detect_overfitting(history)
                    + generalization.detect_underfitting(history, chance)
                    + generalization.detect_underfitting(history) + oscillation.detect_oscillation(history)
                    + stall.detect_stalls(history))
        assert findings == [], (seed, findings)


def test_underfitting_is_not_reported_when_a_layer_problem_explains_it():
    stuck = {"loss": [2.31, 2.30, 2.30, 2.30]}
    meta = {"chance_loss": math.log(10), "monitors": ["GradientMonitor", "GeneralizationMonitor"]}
    assert [f.kind for f in judge({"history": stuck, "meta": meta})] == ["underfitting"]
    vanishing = dict(stuck, **{"grad_norm/dense": [1e-9] * 4, "grad_norm/dense_1": [1e-6] * 4,
                               "grad_norm/dense_2": [1e-5] * 4, "grad_norm/out": [0.3] * 4})
    [finding] = judge({"history": vanishing, "meta": meta})  # folded into its cause
    assert finding.kind == "vanishing_gradient" and finding.evidence["underfitting.best_loss"] == 2.30
    healthy_layers = dict(stuck, **{"grad_norm/dense": [0.1] * 4, "grad_norm/dense_1": [0.2] * 4,
                                    "grad_norm/out": [0.3] * 4})
    assert [f.kind for f in judge({"history": healthy_layers, "meta": meta})] == ["underfitting"]


def test_a_slow_start_is_not_underfitting():
    chance = math.log(10)
    slow_start = {"loss": [2.303, 2.289, 2.270, 2.233]}  # accelerating away from chance
    assert generalization.detect_underfitting(slow_start, chance) == []
    crawling = {"loss": [2.303, 2.302, 2.301, 2.300]}  # would need ~70 more epochs to leave chance
    assert generalization.detect_underfitting(crawling, chance)


def test_creeping_just_past_ninety_percent_of_chance_is_no_slow_start():
    # A one-unit autoencoder (held-out split 7, seed 31): at 2e-4 an epoch, 0.93 of the mean
    # image's error would pass 0.9 in ~10 epochs, but need ~160 to reach half of it.
    chance = 0.07465
    creeping = {"loss": [0.1641, 0.1032, 0.0765, 0.0741, 0.0736, 0.0733, 0.0732, 0.073, 0.0728, 0.0726, 0.0724,
                         0.0722, 0.0721, 0.0719, 0.0717, 0.0716, 0.0714, 0.0713, 0.0711, 0.071, 0.0708, 0.0707,
                         0.0705, 0.0703, 0.0701, 0.0699, 0.0697, 0.0695, 0.0693, 0.0691]}
    [finding] = generalization.detect_underfitting(creeping, chance)
    assert finding.evidence["ratio_to_chance"] == pytest.approx(0.0691 / chance)
    # At four times the pace, still above 0.9 of chance after 13 epochs, it gets to half of chance
    # in (0.0685 - 0.0373) / 8e-4 = 39 epochs: within the 50-epoch horizon, a slow start.
    faster = {"loss": creeping["loss"][:3] + [0.0765 - 8e-4 * i for i in range(1, 11)]}
    assert min(faster["loss"]) > 0.9 * chance
    assert generalization.detect_underfitting(faster, chance) == []


def test_global_grad_norm_falls_back_to_layers_when_unrecorded():
    history = {"global_grad_norm": [float("nan")] * 2, "grad_norm/a": [3.0, 1.0], "grad_norm/b": [4.0, 0.0]}
    np.testing.assert_allclose(stall.global_grad_norm(history), [5.0, 1.0])
    assert stall.global_grad_norm({"loss": [1.0]}) is None


def test_no_stall_where_the_gradient_is_exactly_zero():
    loss = [2.0, 1.0, 0.7, 0.7, 0.7, 0.7]
    assert stall.stall_epochs(loss, [1.0, 0.5, 0.2, 0.1, 0.05, 0.02]) == [5]
    assert stall.stall_epochs(loss, [1.0, 0.5, 0.2, 0.0, 0.0, 0.0]) == []


_SADDLE = {"max_eigenvalue": 2.0, "min_eigenvalue": -1.0, "weight_norm": 3.0}


def test_a_stall_that_vanishing_gradients_or_saturation_explain_is_no_weak_saddle():
    weak_saddle = {"max_eigenvalue": 2.0, "min_eigenvalue": -0.4, "weight_norm": 3.0}  # ratio 0.2 < 0.5
    loss = [2.31, 2.30, 2.30, 2.30, 2.30, 2.30]
    assert stall.judge_stall(5, loss, weak_saddle).kind == "saddle_point"
    vanishing = {"grad_norm/t0": [1e-9] * 6, "grad_norm/t1": [1e-6] * 6, "grad_norm/t2": [1e-4] * 6,
                 "grad_norm/out": [0.3] * 6}
    assert stall.judge_stall(5, loss, weak_saddle, explaining=_layer_findings(vanishing)) is None
    saturated = {"saturated_frac/t0": [0.8] * 6, "saturated_frac/t1": [0.1] * 6}
    assert stall.judge_stall(5, loss, weak_saddle, explaining=_layer_findings(saturated)) is None
    healthy = {"grad_norm/t0": [0.1] * 6, "grad_norm/t1": [0.2] * 6, "grad_norm/out": [0.3] * 6,
               "saturated_frac/t0": [0.0] * 6}
    assert stall.judge_stall(5, loss, weak_saddle, explaining=_layer_findings(healthy)).kind == "saddle_point"


def _layer_findings(history):
    return gradients.detect_gradient_problems(history) + activations.detect_activation_problems(history)


def test_a_stall_at_the_floor_of_a_bounded_output_is_an_output_mismatch():
    targets = np.linspace(3.0, 103.0, 50)
    floor = stall.bounded_output_floor(targets, "sigmoid")
    assert floor == pytest.approx(np.mean((targets - 1.0) ** 2))
    assert stall.bounded_output_floor(targets, "linear") is None
    loss = [floor * 1.3, floor * 1.05, floor * 1.02, floor * 1.02, floor * 1.02]
    finding = stall.judge_stall(4, loss, _SADDLE, output_floor=floor)
    assert finding.kind == "output_loss_mismatch" and finding.evidence["output_floor"] == floor
    assert stall.judge_stall(4, [v * 3 for v in loss], _SADDLE, output_floor=floor).kind == "saddle_point"


def test_no_saddle_for_a_classifier_that_has_learned_most_it_can():
    loss = [2.3, 0.5, 0.2, 0.2, 0.2, 0.2]
    assert stall.judge_stall(5, loss, _SADDLE).kind == "saddle_point"  # chance unknown
    assert stall.judge_stall(5, loss, _SADDLE, chance_loss=math.log(10.0)) is None


def test_overfitting_of_a_model_that_has_memorised_its_training_set():
    # Adam on 100 digits: the training loss is near zero from epoch 4 and bounces; it cannot
    # fall 5% more, but it sits far below a validation loss that has risen from its best.
    history = {"loss": [1.868, 0.704, 0.2, 0.077, 0.036, 0.033, 0.012, 0.043, 0.012, 0.051, 0.047, 0.065],
               "val_loss": [1.502, 0.802, 0.507, 0.505, 0.77, 0.472, 0.718, 0.512, 1.067, 0.615, 1.742, 0.816]}
    [finding] = generalization.detect_overfitting(history)
    assert (finding.epoch, finding.evidence["best_epoch"]) == (6, 5)


def test_blocks_that_swing_with_the_batches_while_epochs_stay_put_are_no_oscillation():
    # A GRU with a sigmoid output asked for targets 3..103: the output is stuck at 1, so each
    # half-epoch's loss depends only on which targets it holds.
    epochs = {"loss": [4636.3, 4618.6, 4618.5, 4618.5, 4618.5, 4618.5, 4618.5, 4618.5]}
    blocks = [4412.0, 4852.0] + [4376.0, 4846.0] * 7
    assert oscillation.detect_oscillation(epochs, step_losses=blocks, values_per_epoch=2) == []
    moving = {"loss": [4636.3, 4300.0, 4700.0, 4350.0, 4750.0, 4300.0, 4700.0, 4400.0]}
    [finding] = oscillation.detect_oscillation(moving, step_losses=blocks, values_per_epoch=2)
    assert finding.kind == "oscillation"
