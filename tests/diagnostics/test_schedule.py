"""A learning-rate schedule that decays to nothing while the loss is high, and the healthy decays."""

import math
import warnings

import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits

from callbacks import TrainingDiagnostics
from callbacks._guard import NotJudgedWarning
from diagnostics import judge
from diagnostics.findings import NEEDS_CONSEQUENCE, Finding
from diagnostics.schedule import (GROWN_FACTOR, LEARNING_RATE_KEY, detect_decayed_learning_rate,
                                  detect_grown_learning_rate, detect_unreached_peak, schedule_peaks)
from diagnostics.setup_model import check_model

CHANCE = math.log(10)


def test_a_rate_decayed_to_nothing_while_the_loss_is_at_chance_is_the_cause():
    history = {LEARNING_RATE_KEY: [5e-4, 5e-9, 0.0, 0.0], "loss": [2.25, 2.24, 2.24, 2.24]}
    [finding] = detect_decayed_learning_rate(history, initial_learning_rate=0.05, chance_loss=CHANCE)
    assert (finding.kind, finding.epoch) == ("suspicious_config", 1)  # epoch 0 keeps 1% of the rate
    assert finding.evidence["decayed_learning_rate"] == 5e-9 and finding.evidence["initial_learning_rate"] == 0.05


@pytest.mark.parametrize("rates, loss", [
    ([0.05, 0.03, 0.01, 1e-6], [1.2, 0.4, 0.1, 0.09]),      # cosine to zero at the end of a healthy run
    ([1e-6, 1e-7, 1e-8, 1e-9], [2.2, 1.6, 1.1, 0.8]),       # decayed, yet the loss keeps falling
    ([0.05, 0.05, 0.05, 0.05], [2.3, 2.3, 2.3, 2.3]),       # stalled at a constant rate: another cause
    ([0.05, 0.05, 0.05, 1e-9], [2.3, 2.3, 2.3, 2.3]),       # decayed at the last epoch only
])
def test_no_finding_when_the_decay_did_not_end_training(rates, loss):
    history = {LEARNING_RATE_KEY: rates, "loss": loss}
    assert detect_decayed_learning_rate(history, initial_learning_rate=0.05, chance_loss=CHANCE) == []


def _fit(schedule, seed, epochs=6):
    x, y = load_digits(return_X_y=True)
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(keras.optimizers.SGD(schedule), "sparse_categorical_crossentropy")
    diagnostics = TrainingDiagnostics(verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotJudgedWarning)  # no validation data
        model.fit((x / 16.0).astype("float32"), y, epochs=epochs, batch_size=64, verbose=0, callbacks=[diagnostics])
    return diagnostics


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_an_exponential_decay_every_10_steps_leads_and_its_twin_is_healthy(seed):
    steps = 6 * math.ceil(1797 / 64)
    frozen = _fit(keras.optimizers.schedules.ExponentialDecay(0.05, decay_steps=10, decay_rate=0.01), seed)
    slow = _fit(keras.optimizers.schedules.ExponentialDecay(0.05, decay_steps=10_000, decay_rate=0.01), seed)
    cosine = _fit(keras.optimizers.schedules.CosineDecay(0.0, steps - 20, warmup_target=0.3, warmup_steps=20), seed)
    lead = frozen.findings[0]
    assert lead.kind == "suspicious_config" and "decayed_learning_rate" in lead.evidence
    assert all(f.explained_by == "suspicious_config" for f in frozen.findings[1:])
    assert lead.remedies[1].action == "set_learning_rate"
    assert slow.findings == [] and cosine.findings == []
    assert cosine.history[LEARNING_RATE_KEY][-1] < 1e-3 * 0.3  # it did decay to nothing, once trained


def test_a_rate_still_rising_far_above_its_start_is_named_from_the_epoch_it_got_there():
    rates = [0.02, 0.06, 0.15, 0.21, 0.5, 1.2]
    [finding] = detect_grown_learning_rate({LEARNING_RATE_KEY: rates}, initial_learning_rate=0.02)
    assert (finding.kind, finding.epoch) == ("suspicious_config", 3)  # 0.21 >= 10 x 0.02
    assert finding.evidence["grown_learning_rate"] == 1.2 and finding.evidence["needs_consequence"] is True


@pytest.mark.parametrize("rates", [
    [1e-5, 1e-4, 1e-3, 1e-3, 1e-3],                 # a warm-up that reached its peak
    [1e-5, 1e-4, 1e-3, 9e-4, 8e-4],                 # warm-up, then decay
    [0.02, 0.03, 0.05, 0.08, 0.13],                 # still rising, but under 10x its start
    [0.02, 0.3, 0.5, 0.4, 0.6],                     # 30x, but not rising over the last 2 epochs
])
def test_no_grown_rate_when_the_schedule_settled_or_stayed_near_its_start(rates):
    assert detect_grown_learning_rate({LEARNING_RATE_KEY: rates}, initial_learning_rate=rates[0]) == []
    assert GROWN_FACTOR == 10.0


def test_a_grown_rate_stands_only_beside_what_it_explains():
    rates, loss = [0.02, 0.1, 0.3, 0.9, 2.7], [1.0, 0.6, 0.5, 0.4, 0.35]
    history = {LEARNING_RATE_KEY: rates, "loss": loss}
    record = {"history": history, "meta": {"monitors": ["StallMonitor"], "chance_loss": CHANCE},
              "extras": {"StallMonitor": {"initial_learning_rate": 0.02}}}
    assert judge(record) == []  # a rising rate the run took in its stride: no consequence, no finding
    swings = Finding("oscillation", "warning", 3, None, "The loss oscillates.", {"low": 0.3, "high": 3.0})
    record["extras"]["StallMonitor"]["findings"] = [swings.to_dict()]
    assert [(f.kind, f.explained_by) for f in judge(record)] == [("suspicious_config", None),
                                                                 ("oscillation", "suspicious_config")]


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_decay_rate_above_one_leads_what_its_growing_steps_do_and_a_constant_rate_is_healthy(seed):
    growing = _fit(keras.optimizers.schedules.ExponentialDecay(0.05, decay_steps=10, decay_rate=1.5), seed)
    constant = _fit(0.05, seed)
    lead, *effects = growing.findings
    assert lead.kind == "suspicious_config" and "grown_learning_rate" in lead.evidence
    assert effects and all(f.explained_by == "suspicious_config" for f in effects)
    assert (lead.remedies[0].action, lead.remedies[0].params) == ("set_learning_rate", {"learning_rate": pytest.approx(0.05)})
    assert constant.findings == []


def test_a_rate_cut_to_nothing_after_a_setback_froze_the_run_above_its_best():
    # ReduceLROnPlateau(factor=0.01, patience=0): the first bad epoch cuts the rate a hundredfold,
    # the next ones again; the loss, three times the lowest it had reached, never moves again.
    rates = [0.1] * 7 + [1e-3, 1e-5, 1e-7, 1e-9, 1e-11, 1e-13]
    loss = [1.19, 0.38, 0.29, 0.21, 0.15, 0.11, 0.07, 0.21, 0.20, 0.20, 0.20, 0.20, 0.20]
    history = {"learning_rate/optimizer": rates, "loss": loss}
    findings = detect_decayed_learning_rate(history, initial_learning_rate=0.1, chance_loss=2.3026)
    assert [(f.kind, f.epoch, f.evidence["best_loss"]) for f in findings] == [("suspicious_config", 8, 0.07)]
    # The same decay once the loss is at its lowest is a finished run.
    history["loss"] = loss[:7] + [0.068] + [0.066] * 5
    assert detect_decayed_learning_rate(history, initial_learning_rate=0.1, chance_loss=2.3026) == []



# -- a schedule set up for a longer run -------------------------------------------------------------


def test_the_schedule_peaks_are_its_highest_rates_within_and_after_the_run():
    # A linear warm-up from 0 to 0.05 over 6,400 steps, then a cosine decay over 100: by step 640
    # it has reached a tenth of its target; its peak comes at step 6,400.
    warm_up = keras.optimizers.schedules.CosineDecay(0.0, 100, warmup_target=0.05, warmup_steps=6400)
    run_peak, later_peak = schedule_peaks(keras.optimizers.SGD(warm_up), 0, 640)
    assert run_peak == pytest.approx(0.005, rel=1e-5) and later_peak == pytest.approx(0.05, rel=1e-3)
    # Resumed at step 6,000, the same 640 steps pass the peak.
    assert schedule_peaks(keras.optimizers.SGD(warm_up), 6000, 640)[0] == pytest.approx(0.05, rel=1e-3)
    steps = keras.optimizers.schedules.PiecewiseConstantDecay([10_000, 50_000], [0.001, 0.1, 0.001])
    assert schedule_peaks(keras.optimizers.SGD(steps), 0, 640) == (pytest.approx(0.001), pytest.approx(0.1))
    assert schedule_peaks(keras.optimizers.SGD(0.01), 0, 640) is None  # a constant rate
    assert schedule_peaks(keras.optimizers.SGD(warm_up), 0, None) is None  # a run of unknown length
    assert schedule_peaks(object(), 0, 640) is None  # an optimizer without a Keras config


@pytest.mark.parametrize("run_peak, later_peak, found", [(0.005, 0.05, True), (0.024, 0.05, True),
                                                          (0.026, 0.05, False), (0.05, 0.05, False),
                                                          (None, 0.05, False)])
def test_a_run_that_never_gets_to_half_the_schedule_s_peak_is_a_hypothesis(run_peak, later_peak, found):
    findings = detect_unreached_peak(run_peak, later_peak, 640)
    assert [f.evidence.get(NEEDS_CONSEQUENCE) for f in findings] == ([True] if found else [])


def test_a_warm_up_starting_at_zero_is_no_rate_below_the_stable_range():
    warm_up = keras.optimizers.schedules.CosineDecay(0.0, 100, warmup_target=0.05, warmup_steps=200)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(keras.optimizers.SGD(warm_up), "sparse_categorical_crossentropy")
    assert [f for f in check_model(model) if "stable_min" in f.evidence] == []
    model.compile(keras.optimizers.SGD(0.0), "sparse_categorical_crossentropy")  # a constant 0 is
    assert [f.evidence["learning_rate"] for f in check_model(model) if "stable_min" in f.evidence] == [0.0]
    hot = keras.optimizers.schedules.ExponentialDecay(50.0, decay_steps=100, decay_rate=0.5)  # starts far too high
    model.compile(keras.optimizers.SGD(hot), "sparse_categorical_crossentropy")
    assert [f.evidence["learning_rate"] for f in check_model(model) if "stable_max" in f.evidence] == [50.0]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_rate_step_counted_in_samples_leads_the_underfitting_and_its_twin_in_steps_is_healthy(seed):
    # "0.001 for two epochs, then 0.1": the boundary counted in samples (2 x 1,797) lands after the
    # run's 6 x 29 = 174 steps, so the whole run trains at 0.001.
    in_samples = _fit(keras.optimizers.schedules.PiecewiseConstantDecay([2 * 1797], [0.001, 0.1]), seed)
    in_steps = _fit(keras.optimizers.schedules.PiecewiseConstantDecay([2 * 29], [0.001, 0.1]), seed)
    lead, *effects = in_samples.findings
    assert lead.kind == "suspicious_config" and lead.evidence["unreached_peak"] == pytest.approx(0.1)
    assert [(f.kind, f.explained_by) for f in effects] == [("underfitting", "suspicious_config")]
    assert (lead.remedies[0].action, lead.remedies[0].params) == ("set_learning_rate",
                                                                  {"learning_rate": pytest.approx(0.1)})
    assert in_steps.findings == []


def test_a_slow_start_under_a_schedule_that_never_got_going_is_not_excused():
    # A loss leaving chance ever faster: at its last pace it would reach half of chance within
    # the horizon, so it is a slow start, unless the schedule kept the rate at a tenth of its peak.
    loss = [2.344, 2.339, 2.33, 2.317, 2.3, 2.281, 2.259, 2.235, 2.209, 2.181, 2.151, 2.118, 2.081, 2.041, 1.996]
    rates = list(np.linspace(0.0003, 0.0048, len(loss)))
    record = {"history": {"loss": loss, LEARNING_RATE_KEY: rates},
              "meta": {"monitors": ["StallMonitor", "GeneralizationMonitor"], "chance_loss": math.log(10)},
              "extras": {"StallMonitor": {"initial_learning_rate": 0.0}, "GeneralizationMonitor": {}}}
    assert judge(record) == []
    record["extras"]["StallMonitor"].update(schedule_peaks=[0.0048, 0.05], planned_steps=645)
    assert [(f.kind, f.explained_by) for f in judge(record)] == [("suspicious_config", None),
                                                                ("underfitting", "suspicious_config")]
