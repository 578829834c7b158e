"""`tf.distribute.MirroredStrategy` over the one CPU device, the model built and compiled in its
scope, as the distributed-training guide writes it."""

import math

import pytest
import tensorflow as tf

from tests.clients._after_fit import assert_saves_loads_and_fits_again
from tests.clients._client import (DIGIT_CLASSES, SEEDS, assert_healthy, assert_learned, digits, digits_classifier,
                                   fit_both, recording_fit)

TRAIN_ROWS = 1400


def _build():
    with tf.distribute.MirroredStrategy(["/cpu:0"]).scope():
        return digits_classifier()


@pytest.mark.slow  # ~12 s a seed; tests/callbacks run two replicas in the default tier
@pytest.mark.parametrize("seed", SEEDS)
def test_mirrored_strategy_on_one_cpu(seed, tmp_path):
    x, y = digits()
    models = []
    fit = recording_fit(models, x, y, TRAIN_ROWS)

    diagnostics, _, (history,) = fit_both(_build, fit, seed)
    assert isinstance(models[-1].distribute_strategy, tf.distribute.MirroredStrategy)
    assert_learned(history, math.log(DIGIT_CLASSES))
    assert_healthy(diagnostics)
    assert_saves_loads_and_fits_again(models[-1], x[:64], lambda model, callbacks: fit(model, callbacks, epochs=1),
                                      tmp_path)
