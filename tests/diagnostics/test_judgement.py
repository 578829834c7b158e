"""Tests for `diagnostics.judge`: one verdict from one record, related and ordered by one rule."""

import doctest
import math

import keras
import numpy as np
import pytest

from diagnostics import judgement as judge_module
from diagnostics.findings import Finding
from diagnostics.judgement import judge, order_findings, trained_healthily
from diagnostics.setup_checks import check_setup


def _finding(kind, evidence=None, layer=None, message="Something.", severity="warning", epoch=0):
    return Finding(kind, severity, epoch, layer, message, evidence or {})


def _relu_net():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model


# -- the relation table and the ordering rule ---------------------------------------------------


@pytest.mark.parametrize("stall", ["saddle_point", "plateau"])
def test_a_stall_after_the_swings_began_is_the_oscillation_s_and_one_before_is_not(stall):
    swings = _finding("oscillation", severity="error", epoch=1)
    later = _finding(stall, epoch=4)
    assert [(f.kind, f.explained_by) for f in order_findings([later, swings])] == [
        ("oscillation", None), (stall, "oscillation")]
    earlier = _finding(stall, epoch=0)
    assert [(f.kind, f.explained_by) for f in order_findings([earlier, swings])] == [
        ("oscillation", None), (stall, None)]


def test_a_cause_leads_and_is_named_in_the_behaviour_it_explains():
    plateau = _finding("plateau", message="Loss flat from epoch 2.")
    other = _finding("overfitting")
    cause = Finding("output_loss_mismatch", "error", 0, "out",
                    "output 'out' applies softmax to a single unit: it outputs 1.0. More.",
                    {"softmax_units": 1})
    ordered = order_findings([other, plateau, cause])
    assert [f.kind for f in ordered] == ["output_loss_mismatch", "plateau", "overfitting"]
    assert ordered[1].message == (
        "Loss flat from epoch 2. Explained by output_loss_mismatch in layer 'out': output 'out' "
        "applies softmax to a single unit: it outputs 1.0.")
    assert ordered[1].explained_by == "output_loss_mismatch"
    assert ordered[2] == other and ordered[2].explained_by is None


def test_relu_output_explains_non_finite_but_not_overfitting():
    non_finite = _finding("non_finite", severity="error")
    cause = _finding("output_loss_mismatch", {"relu_output_units": 3}, "out")
    ordered = order_findings([non_finite, cause])
    assert ordered[0] == cause and ordered[1].explained_by == "output_loss_mismatch"
    overfitting = _finding("overfitting", epoch=3)
    assert order_findings([overfitting, cause]) == [cause, overfitting]


@pytest.mark.parametrize("units", ["linear_output_units", "relu_output_units"])
def test_an_output_the_probability_loss_clips_explains_the_zero_gradient_it_makes(units):
    # Keras clips probabilities into (eps, 1 - eps): a raw score beyond the clip gets no gradient.
    zero = _finding("zero_gradient", {"layers_total": 3}, severity="error")
    cause = _finding("output_loss_mismatch", {units: 1}, "out")
    ordered = order_findings([zero, cause])
    assert ordered[0] == cause and ordered[1].explained_by == "output_loss_mismatch"
    # A mismatch whose mechanism makes no zero gradient explains none: the error leads.
    other = _finding("output_loss_mismatch", {"class_loss_units": 1}, "out")
    assert [(f.kind, f.explained_by) for f in order_findings([other, zero])] == [
        ("zero_gradient", None), ("output_loss_mismatch", None)]


@pytest.mark.parametrize("scale, explains_exploding", [(3e9, True), (1e-5, False)])
def test_huge_inputs_explain_exploding_gradients_tiny_ones_do_not(scale, explains_exploding):
    x = np.random.default_rng(0).uniform(0, 1, size=(256, 4)) * scale
    y = (np.arange(256) % 2).astype("float32")
    [cause] = check_setup(_relu_net(), x, y)
    exploding = _finding("exploding_gradient", severity="error")
    ordered = order_findings([exploding, cause])
    assert (ordered[0] == cause) == explains_exploding
    assert (ordered[1].explained_by == "unnormalized_input") == explains_exploding


def test_huge_inputs_in_one_branch_explain_the_vanished_gradient_of_another():
    cause = _finding("unnormalized_input", {"max_input_scale": 1e3, "input_max_abs": 9e4}, "numeric")
    vanishing = _finding("vanishing_gradient", {"ratio": 1e-5}, "embedding", severity="error")
    assert [(f.kind, f.explained_by) for f in order_findings([vanishing, cause])] == [
        ("unnormalized_input", None), ("vanishing_gradient", "unnormalized_input")]
    tiny = _finding("unnormalized_input", {"min_input_scale": 1e-3}, "numeric")
    assert [(f.kind, f.explained_by) for f in order_findings([vanishing, tiny])][0] == ("unnormalized_input", None)


def test_huge_inputs_explain_the_underfitting_their_blown_up_steps_leave():
    # Recorded: a CNN whose Rescaling multiplies the pixels by 255 (inputs up to 65,025) ends
    # above chance; the underfitting warning came first at two seeds of three, on its own.
    cause = _finding("unnormalized_input", {"max_input_scale": 1e3, "input_max_abs": 65025.0}, "input_layer")
    underfitting = _finding("underfitting", {"ratio_to_chance": 1.44})
    assert [(f.kind, f.explained_by) for f in order_findings([underfitting, cause])] == [
        ("unnormalized_input", None), ("underfitting", "unnormalized_input")]


def test_a_rate_loss_on_an_output_that_goes_negative_explains_the_nan_loss():
    # Recorded: Poisson on a linear unit (held-out split 10, seed 61): NaN from the first epoch.
    cause = _finding("output_loss_mismatch", {"unbounded_rate_output": "linear"}, "dense", severity="error")
    nan = _finding("non_finite", {"epoch_loss": math.nan}, severity="error")
    assert [(f.kind, f.explained_by) for f in order_findings([nan, cause])] == [
        ("output_loss_mismatch", None), ("non_finite", "output_loss_mismatch")]


def test_validation_inputs_on_another_scale_explain_the_rise_that_reads_as_overfitting():
    cause = _finding("unnormalized_input", {"scale_ratio": 237.0}, "input_layer", severity="error")
    overfitting = _finding("overfitting", {"relative_rise": 13.4}, epoch=4)
    assert [(f.kind, f.explained_by) for f in order_findings([overfitting, cause])] == [
        ("unnormalized_input", None), ("overfitting", "unnormalized_input")]


def test_huge_inputs_explain_a_loss_scale_that_skipped_every_update():
    # Recorded: raw pressures in pascals under mixed float16 (held-out, seed 61): the gradients
    # overflow float16, the LossScaleOptimizer skips all 190 steps.
    cause = _finding("unnormalized_input", {"max_input_scale": 1e3, "input_max_abs": 1.04e5}, "input_layer")
    skipped = _finding("suspicious_config", {"applied_updates": 0, "steps_run": 190}, severity="error")
    assert [(f.kind, f.explained_by) for f in order_findings([skipped, cause])] == [
        ("unnormalized_input", None), ("suspicious_config", "unnormalized_input")]


def test_one_output_per_sequence_for_per_step_targets_explains_the_underfitting():
    cause = _finding("output_loss_mismatch", {"target_shape": [20, 1], "output_shape": [1]}, "dense",
                     severity="error")
    underfitting = _finding("underfitting", {"ratio_to_chance": 0.91})
    assert [(f.kind, f.explained_by) for f in order_findings([underfitting, cause])] == [
        ("output_loss_mismatch", None), ("underfitting", "output_loss_mismatch")]


def test_labels_scaled_explain_plateau():
    cause = _finding("label_mismatch", {"fractional_labels": 10}, "out")
    plateau = _finding("plateau", severity="error")
    assert [(f.kind, f.explained_by) for f in order_findings([plateau, cause])] == [
        ("label_mismatch", None), ("plateau", "label_mismatch")]


def test_targets_beyond_a_bounded_output_explain_the_saturation_below_it():
    cause = _finding("label_mismatch", {"output_max": 1.0}, "out", severity="error")
    saturation = _finding("saturation", {}, "gru", epoch=1)
    other_cause = _finding("label_mismatch", {"fractional_labels": 10}, "out", severity="error")
    assert [(f.kind, f.explained_by) for f in order_findings([saturation, cause])] == [
        ("label_mismatch", None), ("saturation", "label_mismatch")]
    assert order_findings([saturation, other_cause])[1].explained_by is None


def test_a_stall_at_a_bounded_output_floor_is_folded_into_the_label_check():
    cause = _finding("label_mismatch", {"label_min": 3.0, "label_max": 103.0, "output_min": 0.0,
                                        "output_max": 1.0}, "out")
    floor = _finding("output_loss_mismatch", {"output_floor": 2500.0}, severity="error")
    plateau = _finding("plateau")
    ordered = order_findings([floor, plateau, cause])
    assert [f.kind for f in ordered] == ["label_mismatch", "plateau"]
    assert ordered[0].evidence["output_loss_mismatch.output_floor"] == 2500.0
    # Without the label check's finding (targets not seen), the stall's finding stays.
    assert [f.kind for f in order_findings([floor, plateau])] == ["output_loss_mismatch", "plateau"]


def test_training_labels_of_one_class_explain_a_rising_validation_loss():
    cause = _finding("label_mismatch", {"distinct_labels": 1}, "out")
    overfitting = _finding("overfitting", epoch=4)
    ordered = order_findings([overfitting, cause])
    assert [f.kind for f in ordered] == ["label_mismatch", "overfitting"]
    assert "Explained by label_mismatch in layer 'out'" in ordered[1].message


def test_a_label_mismatch_explains_the_class_imbalance_it_made_even_as_a_warning():
    imbalance = _finding("class_imbalance", {"imbalance_ratio": 9.0}, severity="error")
    labels = _finding("label_mismatch", {"label_max": 9.0}, "out")
    ordered = order_findings([imbalance, labels])
    assert [(f.kind, f.explained_by) for f in ordered] == [
        ("label_mismatch", None), ("class_imbalance", "label_mismatch")]


def test_an_error_leads_a_warning_from_an_earlier_epoch():
    dead = _finding("dead_relu", {"dead_frac": 0.63}, "dense", epoch=0)
    nan = _finding("exploding_gradient", severity="error", epoch=14)
    assert [f.kind for f in order_findings([dead, nan])] == ["exploding_gradient", "dead_relu"]


def test_unit_findings_after_the_weights_turned_nan_are_folded_into_non_finite():
    non_finite = _finding("non_finite", {"first_step": 40}, severity="error", epoch=2)
    dead_before = _finding("dead_relu", {"dead_frac": 0.7}, "a", epoch=1)
    dead_after = _finding("saturation", {"saturated_frac": 1.0}, "b", epoch=3)
    ordered = order_findings([dead_before, dead_after, non_finite])
    assert [f.kind for f in ordered] == ["non_finite", "dead_relu"]
    assert ordered[0].evidence["saturation.saturated_frac"] == 1.0
    assert ordered[1].explained_by is None


def test_a_measured_saddle_restates_an_all_zero_gradient():
    saddle = _finding("saddle_point", {"min_eigenvalue": -0.5, "max_eigenvalue": 0.5}, epoch=3)
    zero = _finding("zero_gradient", {"epochs_zero": 6}, severity="error")
    ordered = order_findings([zero, saddle])
    assert [f.kind for f in ordered] == ["saddle_point"]
    assert ordered[0].evidence["zero_gradient.epochs_zero"] == 6


def test_a_label_check_folds_in_only_the_stall_at_the_output_floor():
    labels = _finding("label_mismatch", {"output_max": 1.0}, "out")
    one_unit_softmax = _finding("output_loss_mismatch", {"softmax_units": 1}, "out", severity="error")
    assert [f.kind for f in order_findings([labels, one_unit_softmax])] == ["output_loss_mismatch", "label_mismatch"]


def test_a_config_warning_the_run_does_not_confirm_follows_what_the_run_shows():
    stacked = _finding("suspicious_config", {"stacked_linear_layers": 2}, "dense", epoch=0)
    saddle = _finding("saddle_point", {"min_eigenvalue": -0.5, "max_eigenvalue": 2.0}, epoch=4)
    assert [f.kind for f in order_findings([stacked, saddle])] == ["saddle_point", "suspicious_config"]
    # Confirmed by its consequence, the same kind of warning leads what it explains.
    rate = _finding("suspicious_config", {"stable_max": 0.05}, epoch=0)
    oscillation = _finding("oscillation", {"loss_cv": 0.4}, epoch=3)
    ordered = order_findings([oscillation, saddle, rate])
    # (The saddle after the swings began is theirs: it follows the oscillation, down the chain.)
    assert [(f.kind, f.explained_by) for f in ordered] == [
        ("suspicious_config", None), ("oscillation", "suspicious_config"), ("saddle_point", "oscillation")]
    # Severity still comes first: an unconfirmed warning never passes an error.
    nan = _finding("non_finite", {"first_step": 3}, severity="error", epoch=2)
    assert [f.kind for f in order_findings([stacked, nan, saddle])] == ["non_finite", "saddle_point",
                                                                         "suspicious_config"]


def test_a_one_unit_class_cross_entropy_explains_the_runaway_it_drives():
    head = _finding("output_loss_mismatch", {"class_loss_units": 1}, "parity", severity="error")
    runaway = _finding("exploding_gradient", {"growth": 40.0}, "dense", severity="error", epoch=3)
    swinging = _finding("oscillation", {"loss_cv": 0.5}, epoch=4)
    ordered = order_findings([runaway, swinging, head])
    assert [(f.kind, f.explained_by) for f in ordered] == [
        ("output_loss_mismatch", None), ("exploding_gradient", "output_loss_mismatch"),
        ("oscillation", "output_loss_mismatch")]


def test_steps_that_overshoot_explain_the_units_they_kill_from_then_on():
    swinging = _finding("oscillation", {"median_swing": 0.6}, epoch=1)
    dead_after = _finding("dead_relu", {"dead_frac": 0.72}, "dense", epoch=1)
    ordered = order_findings([dead_after, swinging])
    assert [(f.kind, f.explained_by) for f in ordered] == [("oscillation", None), ("dead_relu", "oscillation")]
    # Units dead before the swings began have another cause: they lead by their epoch.
    dead_before = _finding("dead_relu", {"dead_frac": 0.72}, "dense", epoch=0)
    ordered = order_findings([swinging, dead_before])
    assert [(f.kind, f.explained_by) for f in ordered] == [("dead_relu", None), ("oscillation", None)]


def test_gradients_that_explode_explain_the_loss_that_overflows_after_them():
    exploding = _finding("exploding_gradient", {"growth": 1e6}, "dense", severity="error", epoch=1)
    overflow = _finding("non_finite", {"first_step": 90}, severity="error", epoch=2)
    ordered = order_findings([overflow, exploding])
    assert [(f.kind, f.explained_by) for f in ordered] == [("exploding_gradient", None),
                                                           ("non_finite", "exploding_gradient")]
    # A loss non-finite before any growth was measured has a cause of its own.
    early = _finding("non_finite", {"first_step": 3}, severity="error", epoch=0)
    assert [(f.kind, f.explained_by) for f in order_findings([exploding, early])] == [
        ("non_finite", None), ("exploding_gradient", None)]


def test_no_chain_of_causes_loops():
    # label_mismatch (output_max) restates output_loss_mismatch; nothing may make it its own cause.
    labels = _finding("label_mismatch", {"output_max": 1.0}, "out")
    floor = _finding("output_loss_mismatch", {"output_floor": 3.0, "softmax_units": 1})
    assert [f.kind for f in order_findings([labels, floor])] == ["label_mismatch"]


# -- judging records ------------------------------------------------------------------------------


def test_a_learning_rate_warning_is_withdrawn_when_the_run_trains_healthily():
    warning = _finding("suspicious_config", {"stable_max": 0.05, "learning_rate": 0.1}, "dense")
    record = {"history": {"loss": [2.3, 0.9, 0.3, 0.1]},
              "meta": {"monitors": ["SetupMonitor"], "chance_loss": math.log(10)},
              "extras": {"SetupMonitor": {"findings": [warning.to_dict()]}}}
    assert judge(record) == []
    record["history"]["loss"] = [2.3, 2.4, 2.6, 2.5]  # the run shows the consequence: it stays
    assert [f.kind for f in judge(record)] == ["suspicious_config"]


def test_two_collapsing_linear_layers_are_withdrawn_when_the_run_trains_healthily():
    warning = _finding("suspicious_config", {"stacked_linear_layers": 2}, "dense")
    record = {"history": {"loss": [0.9, 0.2, 0.05, 0.01]},
              "meta": {"monitors": ["SetupMonitor"], "chance_loss": 1.0},
              "extras": {"SetupMonitor": {"findings": [warning.to_dict()]}}}
    assert judge(record) == []
    record["history"]["loss"] = [1.0, 0.99, 0.99, 0.99]  # a linear model that cannot fit: it stays
    assert [f.kind for f in judge(record)] == ["suspicious_config"]


def test_dropping_most_inputs_explains_the_stall_that_follows():
    dropout = _finding("suspicious_config", {"rate": 0.9, "max_dropout": 0.5}, "dropout")
    saddle = _finding("saddle_point", {"min_eigenvalue": -0.2, "max_eigenvalue": 0.5}, epoch=4)
    assert [(f.kind, f.explained_by) for f in order_findings([saddle, dropout])] == [
        ("suspicious_config", None), ("saddle_point", "suspicious_config")]


def test_trained_healthily_needs_a_finite_loss_well_below_its_start():
    assert trained_healthily({"loss": [1.0, 0.6, 0.4]})
    assert not trained_healthily({"loss": [1.0, 0.6, float("nan"), 0.1]})
    assert not trained_healthily({"loss": [1.0, 0.6]})


def test_overfitting_under_validation_freq_names_real_epochs():
    # Validated at epochs 1, 3, 5, ...: the best is epoch 5, worse from epoch 7 on.
    val = [math.nan, 1.0, math.nan, 0.8, math.nan, 0.6, math.nan, 0.9, math.nan, 1.1, math.nan, 1.3]
    record = {"history": {"loss": [1.0 - 0.08 * e for e in range(12)], "val_loss": val},
              "meta": {"monitors": ["GeneralizationMonitor"]},
              "extras": {"GeneralizationMonitor": {"monitor": "val_loss", "mode": "min", "patience": 3,
                                                   "min_delta": 0.0}}}
    [finding] = judge(record)
    assert (finding.kind, finding.epoch, finding.evidence["best_epoch"]) == ("overfitting", 7, 5)


def test_a_record_without_a_monitor_list_is_judged_by_what_its_series_hold():
    record = {"history": {"loss": [2.3026] * 6}, "meta": {"chance_loss": 2.3026}}
    assert [f.kind for f in judge(record)] == ["underfitting", "plateau"]
    record["meta"]["monitors"] = ["OscillationMonitor"]  # no monitor of underfitting recorded it
    assert judge(record) == []


def test_a_record_must_be_a_run_dict():
    with pytest.raises(TypeError, match="Received: record="):
        judge([1, 2])


def test_docstring_examples():
    result = doctest.testmod(judge_module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


_OVERFITTING_AT_4 = {"loss": [2.0, 1.0, 0.6, 0.4, 0.3, 0.2, 0.15, 0.1, 0.07, 0.05],
                     "val_loss": [2.0, 1.2, 0.8, 0.7, 0.72, 0.78, 0.85, 0.9, 1.0, 1.1]}


def test_a_resumed_run_is_numbered_as_keras_numbers_its_epochs():
    # The same series, recorded by a fit that started at epoch 0 and by one resumed at epoch 3:
    # Keras calls the series' fifth epoch 4 in the first and 7 in the second (its History.epoch).
    meta = {"monitors": ["GeneralizationMonitor"]}
    [fresh] = judge({"history": _OVERFITTING_AT_4, "meta": meta})
    [resumed] = judge({"history": _OVERFITTING_AT_4, "meta": {**meta, "first_epoch": 3}})
    assert (fresh.epoch, fresh.evidence["best_epoch"]) == (4, 3)
    assert (resumed.epoch, resumed.evidence["best_epoch"]) == (7, 6)
    assert resumed.message.startswith("Overfitting from epoch 7: val_loss rose from 0.7 at epoch 6 to 1.1")
    assert resumed.message.endswith("Restore the weights of epoch 6.")
    assert "(epoch 6)" in resumed.advice[0] and "(epoch 3)" in fresh.advice[0]
    early_stopping = resumed.remedies[0]
    assert (early_stopping.params["best_epoch"], early_stopping.params["patience"]) == (6, 1)
    assert str(resumed).startswith("[warning] overfitting from epoch 7:")


def test_a_record_numbers_epochs_from_0_without_a_first_epoch():
    # A run.json written before the first epoch was recorded, or with an explicit None.
    record = {"history": _OVERFITTING_AT_4, "meta": {"monitors": ["GeneralizationMonitor"], "first_epoch": None}}
    assert [f.epoch for f in judge(record)] == [4]


@pytest.mark.parametrize("value", [-1, 2.5, "3", True])
def test_a_first_epoch_that_is_no_epoch_number_is_refused(value):
    record = {"history": _OVERFITTING_AT_4, "meta": {"first_epoch": value}}
    with pytest.raises(ValueError, match=r"first_epoch.*Received: first_epoch="):
        judge(record)
