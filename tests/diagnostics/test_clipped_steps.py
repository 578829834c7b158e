"""SGD whose gradient clipping bounds every step below `MIN_CLIPPED_STEP`: a setup finding that
needs its consequence (the run's stall), and none for clipping that leaves the steps alone."""

import keras
import numpy as np
import pytest

from diagnostics.findings import NEEDS_CONSEQUENCE
from diagnostics.setup_checks import check_setup
from diagnostics.setup_model import MIN_CLIPPED_STEP, check_model


def _model(optimizer):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer, "sparse_categorical_crossentropy")
    return model


def _clipped(model):
    return [f for f in check_model(model) if "clipped_step" in f.evidence]


@pytest.mark.parametrize("argument, clip", [("clipvalue", 1e-5), ("clipnorm", 1e-6), ("global_clipnorm", 1e-5)])
def test_a_step_bounded_below_a_millionth_is_named_with_its_bound(argument, clip):
    [finding] = _clipped(_model(keras.optimizers.SGD(0.05, **{argument: clip})))
    assert finding.kind == "suspicious_config" and finding.severity == "warning"
    assert finding.evidence == {"clipped_step": pytest.approx(0.05 * clip), argument: pytest.approx(clip),
                                "learning_rate": pytest.approx(0.05), NEEDS_CONSEQUENCE: True}


@pytest.mark.parametrize("optimizer", [
    lambda: keras.optimizers.SGD(0.05, clipvalue=1.0),                       # cuts spikes only
    lambda: keras.optimizers.SGD(0.1, clipvalue=2 * MIN_CLIPPED_STEP / 0.1),  # a bound just above
    lambda: keras.optimizers.Adam(1e-3, clipvalue=1e-5),                     # Adam rescales what is clipped
    lambda: keras.optimizers.SGD(0.05),
])
def test_clipping_that_leaves_the_steps_alone_is_no_finding(optimizer):
    assert _clipped(_model(optimizer())) == []


def test_before_training_it_is_left_out():
    model = _model(keras.optimizers.SGD(0.05, clipvalue=1e-5))
    rows = np.random.default_rng(0).normal(size=(32, 4)).astype("float32")
    assert not any("clipped_step" in f.evidence for f in check_setup(model, rows, np.arange(32) % 3))
