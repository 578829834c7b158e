"""How the step runs: XLA with several steps per execution (`jit_compile=True`,
`steps_per_execution=4`: the callbacks see every fourth batch), and eagerly (`run_eagerly=True`)."""

import math

import pytest

from tests.clients._after_fit import assert_saves_loads_and_fits_again
from tests.clients._client import (DIGIT_CLASSES, SEEDS, assert_healthy, assert_learned, digits, digits_classifier,
                                   fit_both)

TRAIN_ROWS = 1400


def _fit(model, callbacks, epochs=3):
    x, y = digits()
    return model.fit(x[:TRAIN_ROWS], y[:TRAIN_ROWS], validation_data=(x[TRAIN_ROWS:], y[TRAIN_ROWS:]), batch_size=32,
                     epochs=epochs, verbose=0, callbacks=callbacks)


@pytest.mark.slow  # ~30 s: XLA compiles the step of each of the four fits
@pytest.mark.parametrize("seed", SEEDS)
def test_xla_with_four_steps_per_execution(seed, tmp_path):
    models = []

    def fit(model, callbacks):
        models.append(model)
        return _fit(model, callbacks)

    diagnostics, _, (history,) = fit_both(lambda: digits_classifier(jit_compile=True, steps_per_execution=4), fit, seed)
    assert_learned(history, math.log(DIGIT_CLASSES))
    assert_healthy(diagnostics)
    assert_saves_loads_and_fits_again(models[-1], digits()[0][:64],
                                      lambda model, callbacks: _fit(model, callbacks, epochs=1), tmp_path)


@pytest.mark.slow  # ~10 s a seed: every step runs in Python
@pytest.mark.parametrize("seed", SEEDS)
def test_run_eagerly(seed):
    diagnostics, _, (history,) = fit_both(lambda: digits_classifier(run_eagerly=True), _fit, seed)
    assert_learned(history, math.log(DIGIT_CLASSES))
    assert_healthy(diagnostics)
