"""Unit health and activation detectors on synthetic data."""

import numpy as np
import pytest

from diagnostics.activations import detect_dead_relu, detect_saturation, unit_health


def test_unit_health_of_relu_counts_units_zero_for_every_sample_and_position():
    outputs = np.ones((4, 3, 3, 5))
    outputs[..., 0] = 0.0
    outputs[0, 0, 0, 1] = 0.0  # zero somewhere only: alive
    dead, saturated = unit_health("relu", outputs)
    assert dead.tolist() == [True, False, False, False, False] and saturated is None


def test_unit_health_of_saturating_activations():
    sigmoid = np.array([[0.999, 0.5], [0.001, 0.6], [0.995, 0.4]])
    assert unit_health("sigmoid", sigmoid)[1].tolist() == [True, False]
    tanh = np.array([[-0.999, 0.2], [0.9999, -0.3]])
    assert unit_health("tanh", tanh)[1].tolist() == [True, False]
    assert unit_health("gelu", tanh) == (None, None)


def test_dead_relu_needs_half_the_units_for_two_epochs_and_names_the_first_layer():
    history = {
        "dead_frac/a": [0.1, 0.2, 0.6, 0.7],
        "dead_frac/b": [0.0, 0.9, 0.95, 1.0],
        "dead_frac/c": [0.9, 0.0, 0.9, 0.0],  # never two epochs in a row
        "loss": [2.3, 2.2, 2.2, 2.1],         # learning suffers: half the units dead count
    }
    findings = detect_dead_relu(history, chance_loss=2.3026)
    assert len(findings) == 1
    assert (findings[0].layer, findings[0].epoch) == ("b", 1)
    assert findings[0].evidence["layers_affected"] == 2


def test_half_the_units_dead_in_a_layer_that_learns_well_is_sparse_not_broken():
    half = {"dead_frac/dense": [0.53, 0.5, 0.5, 0.47], "loss": [0.9, 0.4, 0.2, 0.14]}
    assert detect_dead_relu(half, chance_loss=2.3026) == []
    half["loss"] = [2.3, 2.2, 0.9, 0.4]                                  # high at first, then learned
    assert detect_dead_relu(half, chance_loss=2.3026) == []
    half["loss"] = [2.3, 2.2, 2.2, 2.2]                                  # the same, while stuck
    assert [f.layer for f in detect_dead_relu(half, chance_loss=2.3026)] == ["dense"]
    nearly_all = {"dead_frac/dense": [0.95, 0.95, 0.95], "loss": [0.9, 0.4, 0.2]}
    assert [f.layer for f in detect_dead_relu(nearly_all, chance_loss=2.3026)] == ["dense"]


def test_units_silent_for_a_while_that_answer_again_by_the_end_were_not_dead():
    # Shaped on a Transformer at Adam 1e-2 (held-out split 6, seed 61): 67% of its feed-forward
    # units silent on the probe rows in the first epochs, none at the end.
    stuck = [2.3, 2.25, 2.2, 2.2, 2.2, 2.2]
    revived = {"dead_frac/dense": [0.67, 0.6, 0.55, 0.3, 0.1, 0.0], "loss": stuck}
    assert detect_dead_relu(revived, chance_loss=2.3026) == []
    still_dead = {"dead_frac/dense": [0.67, 0.6, 0.55, 0.55, 0.6, 0.6], "loss": stuck}
    [finding] = detect_dead_relu(still_dead, chance_loss=2.3026)
    assert (finding.layer, finding.epoch, finding.evidence["last_value"]) == ("dense", 0, 0.6)


def test_healthy_and_unknown_values_are_quiet():
    history = {"dead_frac/a": [0.05, 0.1, float("nan")], "saturated_frac/s": [float("nan")] * 3}
    assert detect_dead_relu(history) == [] and detect_saturation(history) == []


def test_saturation_finding():
    history = {"saturated_frac/s0": [0.2, 0.3, 0.2], "saturated_frac/s1": [0.8, 0.9, 0.9]}
    finding = detect_saturation(history)[0]
    assert (finding.kind, finding.layer, finding.epoch) == ("saturation", "s1", 0)
    assert finding.advice


def test_a_third_saturated_is_found_only_while_learning_suffers():
    # Measured on a sigmoid MLP initialised with stddev 4 (digits, SGD): ~45% of its second
    # layer saturated, the loss crawling from 2.5 to 1.8 against a chance loss of 2.3.
    slow = [2.49, 2.33, 2.26, 2.2, 2.15, 2.1]
    history = {"saturated_frac/s0": [0.22] * 6, "saturated_frac/s1": [0.44] * 6, "loss": slow}
    [finding] = detect_saturation(history, chance_loss=np.log(10.0))
    assert (finding.layer, finding.epoch, finding.evidence["threshold"]) == ("s1", 0, 0.3)
    # The same units with a loss that has learned (below half of chance), or no loss: quiet.
    learned = [2.3, 0.9, 0.5, 0.3, 0.2, 0.1]
    assert detect_saturation(history, loss=learned, chance_loss=np.log(10.0)) == []
    assert detect_saturation({k: v for k, v in history.items() if k != "loss"}) == []
    # Without chance, "learned" is half the first loss: epochs 0-1 still suffer here.
    [early] = detect_saturation(history, loss=[2.3, 1.5, 1.0, 0.5, 0.3, 0.2])
    assert early.epoch == 0


def test_epochs_without_a_probe_neither_break_nor_make_a_sustained_run():
    # Probed at epochs 0, 3 and 6 only (the others skipped to save time): two measured epochs in
    # a row above the threshold are sustained, wherever the gaps fall.
    gapped = {"dead_frac/dense": [0.1, np.nan, np.nan, 0.9, np.nan, np.nan, 0.95]}
    assert [(f.kind, f.epoch) for f in detect_dead_relu(gapped)] == [("dead_relu", 3)]
    one_bad = {"dead_frac/dense": [0.9, np.nan, np.nan, 0.1, np.nan, np.nan, 0.1]}
    assert detect_dead_relu(one_bad) == []


def test_the_rise_is_what_an_affected_layer_lost_after_its_first_probe():
    history = {"dead_frac/a": [0.4, 0.6, 0.9, 0.9], "dead_frac/b": [0.7, 0.7, 0.95, 0.95], "loss": [2.3] * 4}
    finding = detect_dead_relu(history, chance_loss=2.3)[0]
    assert finding.evidence["rise"] == pytest.approx(0.5)  # layer a: 0.4 -> 0.9; b rose 0.25
