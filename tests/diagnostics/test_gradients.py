"""Gradient detectors on synthetic per-layer series."""

import math

import numpy as np

from diagnostics import gradients
from diagnostics.gradients import (
    VANISHING_RATIO_STALLED,
    detect_exploding_gradient,
    detect_gradient_problems,
    detect_non_finite,
    detect_vanishing_gradient,
)


def _history(norms, loss=None, **signals):
    """norms: (epochs, layers) array; layers named l0 (input side) .. lN (output)."""
    norms = np.asarray(norms, dtype=float)
    history = {f"grad_norm/l{i}": list(norms[:, i]) for i in range(norms.shape[1])}
    for signal, values in signals.items():
        values = np.asarray(values, dtype=float)
        history.update({f"{signal}/l{i}": list(values[:, i]) for i in range(values.shape[1])})
    history["loss"] = list(loss if loss is not None else np.linspace(2.0, 1.0, norms.shape[0]))
    return history


def _decay(epochs, layers, decades_per_layer):
    """Gradient norms that fall by `decades_per_layer` per layer from the output to the input."""
    depth = np.arange(layers)[::-1]
    return np.tile(0.5 * 10.0 ** (-decades_per_layer * depth), (epochs, 1))


def test_healthy_shrink_of_100x_from_output_to_input_is_quiet():
    norms = _decay(5, 12, 2.0 / 11)  # 100x over 12 layers
    assert detect_gradient_problems(_history(norms)) == []


def test_vanishing_is_localized_at_the_input_and_reports_its_reach():
    norms = _decay(5, 12, 0.6)  # sigmoid-like: 0.6 decades per layer
    findings = detect_vanishing_gradient(_history(norms, loss=np.linspace(2.0, 0.2, 5)))  # it learns
    assert len(findings) == 1
    finding = findings[0]
    assert finding.kind == "vanishing_gradient" and finding.layer == "l0" and finding.epoch == 0
    assert finding.evidence["ratio"] < gradients.VANISHING_RATIO
    # Layers 0..6 are below 1e-3 of the output (0.6 * 5 = 3 decades at layer 6).
    assert finding.evidence["layers_affected"] == 6
    assert finding.severity == "error"
    # In a run stuck near its first loss, 100x counts: layers 0..7 (0.6 * 4 = 2.4 decades at 7).
    stuck = detect_vanishing_gradient(_history(norms, loss=[2.0] * 5))[0]
    assert stuck.evidence["layers_affected"] == 8 and stuck.evidence["threshold"] == VANISHING_RATIO_STALLED


def test_vanishing_must_be_sustained():
    norms = _decay(5, 12, 2.0 / 11)
    norms[2] = _decay(1, 12, 0.6)[0]  # one bad epoch
    assert detect_vanishing_gradient(_history(norms)) == []
    norms[3] = norms[2]
    assert detect_vanishing_gradient(_history(norms))[0].epoch == 2


def test_layers_blocked_by_exact_zero_gradients_are_not_vanishing():
    norms = _decay(4, 8, 0.8)
    zero_frac = np.zeros_like(norms)
    zero_frac[:, :6] = 0.99  # dead units, not small gradients
    assert detect_vanishing_gradient(_history(norms, grad_zero_frac=zero_frac)) == []


def test_scale_of_the_loss_does_not_matter():
    norms = _decay(4, 10, 0.6)
    small = detect_vanishing_gradient(_history(norms * 1e-6))
    large = detect_vanishing_gradient(_history(norms * 1e6))
    assert [f.layer for f in small] == [f.layer for f in large] == ["l0"]


def test_exploding_over_time_while_the_loss_rises():
    norms = np.outer([1, 10, 300, 5000], np.ones(4))
    findings = detect_exploding_gradient(_history(norms, loss=[2.0, 2.5, 4.0, 9.0]))
    assert [f.kind for f in findings] == ["exploding_gradient"]
    assert findings[0].epoch == 2 and findings[0].evidence["factor"] >= 100


def test_input_side_gradients_waking_from_a_vanished_start_are_not_exploding():
    """Drawn near zero, the input side starts at 1e-12 of the output side and wakes up to 1e-2 of
    it while the loss stays at chance: from the vanishing line (1e-3 x 0.2) that is 10x, no blow-up."""
    input_side = [2e-13, 1e-9, 2e-5, 2e-3, 2e-3]
    norms = np.array([[value, value, 0.2, 0.2] for value in input_side])
    assert detect_exploding_gradient(_history(norms, loss=[2.3] * 5)) == []


def test_the_same_growth_from_an_ordinary_start_explodes():
    input_side = [2e-3, 1e-2, 2e-1, 2.0, 20.0]
    norms = np.array([[value, value, 0.2, 0.2] for value in input_side])
    [finding] = detect_exploding_gradient(_history(norms, loss=[2.3] * 5))
    assert (finding.layer, finding.epoch) == ("l0", 2)
    assert finding.evidence["baseline_grad_norm"] == 2e-3


def test_growing_gradients_with_an_improving_loss_are_quiet():
    norms = np.outer([1, 3, 20, 150, 200], np.ones(4))
    assert detect_exploding_gradient(_history(norms, loss=[2.0, 1.5, 1.0, 0.7, 0.5])) == []


def test_blow_up_within_the_first_epoch_that_ends_in_nan():
    norms = np.array([[np.nan] * 3, [np.nan] * 3])
    peaks = np.array([[2e6, 3e6, 1e6], [0, 0, 0]])
    firsts = np.array([[10.0, 10.0, 10.0], [np.nan] * 3])
    nonfinite = np.array([[1, 1, 1], [3, 3, 3]])
    history = _history(norms, loss=[math.nan, math.nan], grad_max=peaks, grad_first=firsts, nonfinite=nonfinite)
    kinds = sorted(f.kind for f in detect_gradient_problems(history))
    assert kinds == ["exploding_gradient", "non_finite"]


def test_one_step_that_moves_the_weights_past_their_norm_then_nan_is_exploding():
    # Weights so large that the very first gradient is huge: no earlier value to grow from, and
    # the depth profile is flat. The first step moves a layer 40x its norm, the next is NaN.
    norms = np.full((2, 3), np.nan)
    ratios = np.array([[3.0, 40.0, 0.5], [np.nan] * 3])
    history = _history(norms, loss=[math.nan, math.nan], update_ratio=ratios,
                       grad_max=[[2e6, 2e6, 2e6], [0, 0, 0]], nonfinite=np.ones((2, 3)))
    findings = detect_exploding_gradient(history)
    assert [(f.layer, f.epoch, f.evidence["factor"]) for f in findings] == [("l1", 0, 40.0)]


def test_large_updates_in_a_run_that_stays_finite_are_not_exploding():
    # Tiny initial weights (a saddle at the origin) give update ratios above 1 with no blow-up.
    ratios = np.array([[5.0, 8.0, 2.0], [1.5, 1.2, 1.1], [0.5, 0.4, 0.3]])
    history = _history(np.ones((3, 3)), loss=[2.3, 2.3, 2.29], update_ratio=ratios)
    assert detect_exploding_gradient(history) == []


def test_gradients_growing_with_depth_toward_the_input():
    norms = _decay(4, 8, -0.6)  # grows 0.6 decades per layer toward the input
    findings = detect_exploding_gradient(_history(norms))
    assert len(findings) == 1 and findings[0].layer == "l0"
    assert detect_vanishing_gradient(_history(norms)) == []


def test_non_finite_in_some_layers_names_the_one_nearest_the_output():
    norms = np.ones((3, 5))
    nonfinite = np.zeros((3, 5))
    nonfinite[1:, :3] = 2
    finding = detect_non_finite(_history(norms, nonfinite=nonfinite))[0]
    assert finding.kind == "non_finite" and finding.epoch == 1 and finding.layer == "l2"


def test_non_finite_in_every_layer_points_at_the_data_side_and_first_step_refines_it():
    norms = np.ones((2, 3))
    nonfinite = np.array([[0, 0, 0], [1, 1, 1]])
    history = _history(norms, nonfinite=nonfinite)
    every_layer = detect_non_finite(history)[0]
    assert every_layer.layer == "l0" and "data" in every_layer.message
    refined = detect_non_finite(history, first_nonfinite_step={"l0": 40, "l1": 40, "l2": 41})[0]
    assert refined.layer == "l1" and refined.evidence["first_step"] == 40


def test_nan_in_the_data_is_attributed_alike_whether_relu_passes_it_on_or_not():
    # A NaN input: a kernel whose ReLU maps NaN to 0 leaves only the first layer non-finite;
    # one that passes it on makes every layer (and the loss) non-finite at the same step.
    norms = np.ones((2, 4))
    zeroed = _history(norms, nonfinite=[[1, 0, 0, 0], [1, 0, 0, 0]])
    passed = _history(norms, loss=[math.nan, math.nan], nonfinite=np.ones((2, 4)))
    first_steps = [{"l0": 3}, {"l0": 3, "l1": 3, "l2": 3, "l3": 3}]
    found = [detect_non_finite(h, first_nonfinite_step=s)[0] for h, s in zip((zeroed, passed), first_steps)]
    assert [(f.layer, f.epoch) for f in found] == [("l0", 0), ("l0", 0)]


def test_non_finite_loss_alone_is_reported_and_finite_runs_are_quiet():
    norms = np.ones((3, 3))
    assert detect_non_finite(_history(norms, loss=[2.0, 1.0, 0.5])) == []
    finding = detect_non_finite(_history(norms, loss=[2.0, math.inf, math.nan]))[0]
    assert finding.epoch == 1 and finding.layer is None


def test_empty_and_short_histories_are_quiet():
    assert detect_gradient_problems({}) == []
    assert detect_gradient_problems({"loss": [1.0]}) == []
    assert detect_gradient_problems(_history(np.ones((1, 2)))) == []


def test_gradients_exactly_zero_in_every_layer_are_their_own_finding():
    norms = np.zeros((4, 3))
    [finding] = gradients.detect_zero_gradient(_history(norms))
    assert (finding.kind, finding.epoch, finding.layer) == ("zero_gradient", 0, None)
    assert [f.kind for f in detect_gradient_problems(_history(norms))] == ["zero_gradient"]
    # One layer still learning, or a single zero epoch, is not it.
    norms[:, 2] = 1e-9
    assert gradients.detect_zero_gradient(_history(norms)) == []
    assert gradients.detect_zero_gradient(_history([[0.0, 0.0], [0.1, 0.2], [0.1, 0.2]])) == []


# -- each exploding criterion on its own ---------------------------------------------------------


def test_growth_over_time_is_a_sign_from_its_first_sustained_epoch_at_its_largest_growth():
    norms = np.array([[1.0, 1.0], [200.0, 1.0], [300.0, 1.0]])
    peaks = np.full_like(norms, np.nan)
    signs = gradients._exploding_over_time(norms, peaks, np.array([1.0, 1.0]), np.array([1.0, 1.0, 1.0]), None)
    assert signs == [(1, -300.0, 0, "time")]
    # The same growth while the loss falls is below the unconditional threshold: no sign.
    falling = np.array([1.0, 0.5, 0.25])
    assert gradients._exploding_over_time(norms, peaks, np.array([1.0, 1.0]), falling, None) == []


def test_growth_with_depth_needs_the_input_side_far_above_the_output_side_for_two_epochs():
    norms = np.array([[1e4, 1.0, 1.0, 1.0], [1e4, 5.0, 1.0, 1.0]])
    assert gradients._exploding_with_depth(norms) == [(0, -1e4, 0, "depth")]
    assert gradients._exploding_with_depth(norms[:, [0, 3]]) == []  # two layers: no depth to judge
    assert gradients._exploding_with_depth(np.array([[1e4, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]])) == []


def test_one_step_blow_up_counts_only_in_the_epoch_the_run_turns_non_finite_and_the_one_before():
    ratio = np.array([[5.0, 0.1], [0.1, 2.0], [3.0, 0.5]])
    assert gradients._exploding_in_one_step(ratio, 2) == [(1, -2.0, 1, "update"), (2, -3.0, 0, "update")]
    assert gradients._exploding_in_one_step(ratio, None) == []


def test_zero_gradients_of_a_model_that_fits_its_data_to_float_precision_are_no_finding():
    norms = np.zeros((4, 3))
    norms[0] = 1.0  # learning in the first epoch, then at the minimum
    fitted = {**_history(norms), "loss": [0.84, 1e-9, 1e-16, 3e-16]}
    stalled = {**_history(norms), "loss": [0.84, 0.5, 0.5, 0.5]}
    assert gradients.detect_zero_gradient(fitted) == []
    assert [(f.kind, f.epoch) for f in gradients.detect_zero_gradient(stalled)] == [("zero_gradient", 1)]


def test_a_head_with_an_exactly_zero_gradient_is_no_output_side_reference():
    """A second head under loss weight 0 sits on the output side with a gradient of exactly 0: the
    trained layers are not 'infinitely' larger than it."""
    norms = np.array([[0.4, 0.3, 0.2, 0.0]] * 4)  # l3: the untrained head
    assert detect_exploding_gradient(_history(norms, loss=[2.0] * 4)) == []


def test_a_loss_far_above_guessing_at_every_epoch_is_a_signal_blown_up_from_the_start():
    chance = math.log(10)
    norms = [[1864.0, 1794.0, 1465.0, 1361.0], [1303.0, 1361.0, 1092.0, 976.0], [615.0, 565.0, 500.0, 479.0]]
    loss = [2818.5, 783.7, 403.2]  # a 1M-logit CNN drawn at N(0, 1): alike per-layer norms, no growth
    assert detect_exploding_gradient(_history(norms, loss=loss)) == []   # chance unknown: nothing to say
    [finding] = detect_exploding_gradient(_history(norms, loss=loss), chance_loss=chance)
    assert (finding.kind, finding.epoch, finding.layer) == ("exploding_gradient", 0, "l0")  # largest at epoch 0
    assert finding.evidence["factor"] == 403.2 / chance  # the smallest loss over chance
    assert finding.evidence["threshold"] == gradients.EXPLODING_LOSS_OVER_CHANCE
    # One epoch under the factor (a run that came back), one epoch only, or a NaN epoch: not this criterion.
    low = gradients.EXPLODING_LOSS_OVER_CHANCE * chance * 0.99
    assert detect_exploding_gradient(_history(norms, loss=[2818.5, 783.7, low]), chance_loss=chance) == []
    assert detect_exploding_gradient(_history(norms[:1], loss=loss[:1]), chance_loss=chance) == []
    assert detect_exploding_gradient(_history(norms, loss=[2818.5, float("nan"), 403.2]), chance_loss=chance) == []


def test_a_hundredfold_loss_of_gradient_vanishes_only_while_the_loss_stays_near_chance():
    # Four layers: the first gets 5e-3 of the last's gradient, between VANISHING_RATIO (1e-3) and
    # VANISHING_RATIO_STALLED (1e-2): a vanishing gradient only in a run that does not learn.
    norms = {"grad_norm/d0": [5e-3] * 5, "grad_norm/d1": [2e-2] * 5, "grad_norm/d2": [0.1] * 5,
             "grad_norm/d3": [1.0] * 5}
    stalled = {**norms, "loss": [2.30, 2.30, 2.29, 2.29, 2.29]}
    findings = detect_vanishing_gradient(stalled, chance_loss=2.3026)
    assert [(f.kind, f.layer, f.evidence["threshold"]) for f in findings] == [
        ("vanishing_gradient", "d0", VANISHING_RATIO_STALLED)]
    learning = {**norms, "loss": [2.30, 1.5, 0.9, 0.5, 0.3]}
    assert detect_vanishing_gradient(learning, chance_loss=2.3026) == []
    assert detect_vanishing_gradient(norms) == []  # no loss: the 1e-3 line alone
