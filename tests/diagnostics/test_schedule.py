"""A learning-rate schedule that decays to nothing while the loss is high, and the healthy decays."""

import math
import warnings

import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits

from callbacks import TrainingDiagnostics
from callbacks._guard import NotJudgedWarning
from diagnostics.schedule import LEARNING_RATE_KEY, detect_decayed_learning_rate

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
