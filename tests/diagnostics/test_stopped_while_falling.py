"""A callback that stops a fit while its loss still falls (an EarlyStopping on a loss with
mode="max", or a min_delta above the loss's falls) leaves the model far from the fit it was
reaching: a `suspicious_config` that explains the underfitting, with a corrected EarlyStopping as
its remedy. A stop that caught a rising validation loss is no such finding."""

import keras
import pytest

from diagnostics.generalization import detect_stopped_while_falling
from tests.diagnostics._diagnosed_fit import digits_mlp, fit_with_held_out_rows, scaled_digits

CHANCE = 2.3


def test_a_stop_while_the_validation_loss_falls_is_found_from_the_last_falls():
    history = {"loss": [2.2, 2.0, 1.9], "val_loss": [2.0, 1.8, 1.6]}
    [finding] = detect_stopped_while_falling(history, CHANCE, stopped_early=True)
    assert finding.kind == "suspicious_config" and finding.epoch == 2
    # The smaller of the last two relative falls: 0.2 / 2.0 against 0.2 / 1.8.
    assert finding.evidence["stopped_while_falling"] == pytest.approx(0.1)
    assert finding.evidence["validation_watched"] == 1
    # Without validation the training loss is read.
    [finding] = detect_stopped_while_falling({"loss": [2.2, 2.0, 1.9]}, CHANCE, stopped_early=True)
    assert finding.evidence["stopped_while_falling"] == pytest.approx(0.05)
    assert finding.evidence["validation_watched"] == 0


@pytest.mark.parametrize("history, chance, stopped", [
    ({"loss": [2.2, 2.0, 1.9], "val_loss": [2.0, 1.8, 1.6]}, CHANCE, False),  # ran its planned epochs
    ({"loss": [2.2, 2.0, 1.9], "val_loss": [2.0, 1.8, 1.79]}, CHANCE, True),  # the last fall under 2%
    ({"loss": [0.6, 0.5, 0.4], "val_loss": [0.6, 0.5, 0.4]}, CHANCE, True),   # stopped under half of chance
    ({"loss": [2.2, 2.0, 1.9], "val_loss": [2.0, 1.8, 1.6]}, None, True),     # how far from a fit is unknown
    ({"loss": [2.0, 1.9], "val_loss": [1.8, 1.6]}, CHANCE, True),             # two epochs: one fall only
])
def test_no_finding_without_a_stop_that_cut_a_falling_loss_far_from_a_fit(history, chance, stopped):
    assert detect_stopped_while_falling(history, chance, stopped_early=stopped) == []


def _stopped_fit(seed, stop, optimizer, epochs):
    x, y = scaled_digits()
    keras.utils.set_random_seed(seed)
    return fit_with_held_out_rows(digits_mlp(optimizer), x, y, epochs, callbacks=[stop])


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("stop", [
    dict(monitor="val_loss", mode="max", patience=2, restore_best_weights=True),  # a loss watched as a score
    dict(monitor="loss", min_delta=0.5, patience=2),                              # a min_delta above every fall
])
def test_a_stop_that_cut_the_fit_short_leads_and_explains_the_underfitting(seed, stop):
    history, diagnostics = _stopped_fit(seed, keras.callbacks.EarlyStopping(**stop), keras.optimizers.SGD(0.02), 30)
    assert len(history["loss"]) == 3  # stopped after 3 of 30 epochs
    lead, *others = diagnostics.findings
    assert lead.kind == "suspicious_config" and "stopped_while_falling" in lead.evidence
    assert lead.remedies[0].action == "early_stopping" and lead.remedies[0].params["mode"] == "min"
    assert lead.remedies[0].params["monitor"] == "val_loss"
    assert [(f.kind, f.explained_by) for f in others] == [("underfitting", "suspicious_config")]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_stop_that_caught_the_validation_loss_rising_is_no_such_finding(seed):
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    history, diagnostics = _stopped_fit(seed, stop, keras.optimizers.Adam(0.01), 60)
    assert len(history["loss"]) < 60  # the stop came
    assert not [f for f in diagnostics.findings if "stopped_while_falling" in f.evidence or f.kind == "underfitting"]
