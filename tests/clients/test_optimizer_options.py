"""Optimizer options a user sets in the constructor: `gradient_accumulation_steps`,
`loss_scale_factor`, `use_ema`, `clipnorm` and `global_clipnorm`."""

import math

import numpy as np
import pytest

import keras
from tests.clients._client import (DIGIT_CLASSES, SEEDS, assert_healthy, assert_learned, digits, digits_classifier,
                                   fit_both)

# gradient_accumulation_steps and loss_scale_factor have tests of their own below.
OPTIONS = {
    "use_ema": {"use_ema": True},
    "clipnorm": {"clipnorm": 1.0},
    "global_clipnorm": {"global_clipnorm": 1.0},
}


def _fit(model, callbacks):
    x, y = digits()
    return model.fit(x[:1400], y[:1400], validation_data=(x[1400:], y[1400:]), batch_size=32, epochs=3,
                     verbose=0, callbacks=callbacks)


def _run(seed, **options):
    return fit_both(lambda: digits_classifier(keras.optimizers.Adam(0.01, **options)), _fit, seed)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("option", sorted(OPTIONS))
def test_optimizer_option_trains_healthy(option, seed):
    diagnostics, _, (history,) = _run(seed, **OPTIONS[option])
    assert_learned(history, math.log(DIGIT_CLASSES))
    assert_healthy(diagnostics)


@pytest.mark.parametrize("seed", SEEDS)
def test_gradient_accumulation_measures_the_updates_it_applies(seed):
    diagnostics, _, (history,) = _run(seed, gradient_accumulation_steps=2)
    assert_learned(history, math.log(DIGIT_CLASSES))
    assert_healthy(diagnostics)
    for layer in ("hidden", "logits"):
        ratios = diagnostics.history[f"update_ratio/{layer}"]
        assert all(math.isfinite(ratio) and ratio > 0 for ratio in ratios), (layer, ratios)


@pytest.mark.parametrize("seed", SEEDS)
def test_loss_scale_factor_logs_the_unscaled_gradient(seed):
    # Scaling by a power of two is exact, so both runs train identically: their gradients agree.
    scaled, _, (history,) = _run(seed, loss_scale_factor=128.0)
    assert_learned(history, math.log(DIGIT_CLASSES))
    assert_healthy(scaled)
    plain, _, _ = _run(seed)
    for layer in ("hidden", "logits"):
        np.testing.assert_allclose(scaled.history[f"grad_norm/{layer}"], plain.history[f"grad_norm/{layer}"],
                                   rtol=1e-5, err_msg=layer)
