"""Adadelta at Keras' default learning rate (1e-3, where the paper's method has 1.0) barely
moves: the loss crawls at chance. Adadelta's steps are normalized like Adam's, so the negative
curvature the stall probe meets there is no saddle (such a step leaves a strict saddle); the run
is underfitting, and the remedies raise the rate or change the optimizer."""

import keras
import numpy as np
import pytest

from tests.diagnostics._diagnosed_fit import SEEDS_SLOW_AFTER_FIRST, fit_digits_mlp


@pytest.mark.parametrize("seed", SEEDS_SLOW_AFTER_FIRST)
def test_adadelta_at_its_default_rate_is_underfitting_not_a_saddle(seed):
    history, diagnostics = fit_digits_mlp(keras.optimizers.Adadelta, seed, epochs=10)
    assert history["loss"][-1] > 0.9 * np.log(10)  # the fault: ten epochs and still at chance
    lead = diagnostics.findings[0]
    assert lead.kind == "underfitting" and "saddle_point" not in [f.kind for f in diagnostics.findings]
    assert lead.remedies[0].action in ("set_learning_rate", "set_optimizer")
