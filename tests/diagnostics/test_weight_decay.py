"""AdamW at `weight_decay=10` (a decay read as an L2 strength tuned around 1): every step takes
learning_rate x 10 x w off each weight, an adaptive step moves it by about the learning rate, so
the kernels shrink under their initial size and the fit stops far above zero. The decay is named as
the cause of that underfitting, and its remedy brings the decay back to the usual range."""

import math

import keras
import numpy as np
import pytest

from diagnostics import generalization, judge
from diagnostics.remedies import Remedy
from diagnostics.remedy_edits import apply_remedies
from diagnostics.setup_model import DEFAULT_WEIGHT_DECAY, check_model
from tests.diagnostics._diagnosed_fit import digits_mlp, fit_digits_mlp

EPOCHS = 15
CHANCE = math.log(10.0)


def _kernel_rms(model):
    """The median standard deviation of the model's kernels, computed here with NumPy."""
    return float(np.median([np.std(layer.kernel.numpy()) for layer in model.layers]))


@pytest.mark.parametrize("optimizer, found", [
    (keras.optimizers.AdamW(1e-3, weight_decay=10.0), True),
    (keras.optimizers.Adam(1e-3, weight_decay=10.0), True),
    (keras.optimizers.AdamW(1e-3, weight_decay=5.0), True),     # a cap of 0.2, under twice the kernels' 0.125
    (keras.optimizers.AdamW(1e-3, weight_decay=1.0), False),    # a cap of 1, eight times the kernels' 0.125
    (keras.optimizers.AdamW(1e-3), False),                      # Keras' 0.004
    (keras.optimizers.Adam(1e-3), False),                       # no decay at all
    (keras.optimizers.SGD(1e-2, weight_decay=10.0), False)])    # an SGD step is not normalized
def test_a_decay_that_caps_the_weights_under_their_initial_size_is_named(optimizer, found):
    keras.utils.set_random_seed(0)
    model = digits_mlp(optimizer)
    findings = [f for f in check_model(model) if "decay_bound" in f.evidence]
    if not found:
        assert findings == []
        return
    [finding] = findings
    assert finding.evidence["decay_bound"] == pytest.approx(1 / optimizer.weight_decay)
    assert finding.evidence["kernel_rms"] == pytest.approx(_kernel_rms(model))


def test_the_cap_is_judged_against_the_kernels_the_model_starts_with():
    # 1 / 10 = 0.1 is under twice the 0.125 RMS of 64-unit Glorot kernels, not under twice the
    # 0.04 of 1024-unit ones.
    keras.utils.set_random_seed(0)
    wide = digits_mlp(keras.optimizers.AdamW(1e-3, weight_decay=10.0), width=1024)
    assert 2 * _kernel_rms(wide) < 0.1
    assert [f for f in check_model(wide) if "decay_bound" in f.evidence] == []


def test_a_held_back_fit_is_underfitting_from_half_of_chance():
    # The recorded run (AdamW at 10, seed 31): the loss settles at 0.59 of chance and creeps up.
    loss = [2.1412, 1.9472, 1.778, 1.585, 1.451, 1.3875, 1.3678, 1.3688, 1.3714, 1.367, 1.3718, 1.3836, 1.3966,
            1.4077, 1.4159]
    assert generalization.detect_underfitting({"loss": loss}, CHANCE) == []
    [finding] = generalization.detect_underfitting({"loss": loss}, CHANCE, lower=generalization.HELD_BACK_FRACTION)
    assert finding.evidence["ratio_to_chance"] == pytest.approx(1.367 / CHANCE)
    still_leaving = [2.1, 1.9, 1.7, 1.5, 1.35, 1.2]  # 0.15 an epoch, 0.05 x chance to go: not yet
    assert generalization.detect_underfitting({"loss": still_leaving}, CHANCE,
                                              lower=generalization.HELD_BACK_FRACTION) == []


def test_its_remedy_restores_a_usual_decay_and_keeps_the_optimizer_and_rate():
    model = digits_mlp(keras.optimizers.AdamW(3e-3, weight_decay=10.0))
    remedy = Remedy("set_optimizer", None, {"optimizer": "adamw", "weight_decay": DEFAULT_WEIGHT_DECAY,
                                            "learning_rate": 3e-3}, "decay")
    optimizer = apply_remedies(model, [remedy]).model.optimizer
    assert (type(optimizer), optimizer.weight_decay, float(optimizer.learning_rate)) == (
        keras.optimizers.AdamW, DEFAULT_WEIGHT_DECAY, pytest.approx(3e-3))
    assert model.optimizer.weight_decay == 10.0


def _fit(seed, weight_decay):
    return fit_digits_mlp(lambda: keras.optimizers.AdamW(1e-3, weight_decay=weight_decay), seed, EPOCHS)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_fit_at_decay_10_leads_with_it_and_the_usual_decay_is_healthy(seed):
    history, diagnostics = _fit(seed, 10.0)
    assert history["loss"][-1] > generalization.HELD_BACK_FRACTION * CHANCE  # the fault: it cannot fit
    findings = diagnostics.findings
    assert findings[0].kind == "suspicious_config" and "decay_bound" in findings[0].evidence
    assert findings[0].remedies[0].params["weight_decay"] == DEFAULT_WEIGHT_DECAY
    assert any(f.kind == "underfitting" and f.explained_by is not None for f in findings)
    assert judge(diagnostics.run())[0].evidence == findings[0].evidence  # the offline verdict agrees
    history, diagnostics = _fit(seed, DEFAULT_WEIGHT_DECAY)
    assert history["loss"][-1] < 0.1 * CHANCE and diagnostics.findings == []
