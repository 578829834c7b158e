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
from diagnostics.findings import Finding
from diagnostics.schedule import GROWN_FACTOR, LEARNING_RATE_KEY, detect_decayed_learning_rate, detect_grown_learning_rate

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

