"""keras.io's "Customizing what happens in fit()": `train_step` and `test_step` overrides.

Two programs of that guide: a functional model whose steps call `compute_loss` and update
`self.metrics` themselves, and the low-level one that keeps its own loss function and loss
tracker and compiles with an optimizer only.
"""

import math

import pytest
import tensorflow as tf

import keras
from benchmarks.accuracy.models import GuideTrainStep
from tests.clients._client import (DIGIT_CLASSES, SEEDS, assert_healthy, assert_learned, assert_unjudged_is_skipped,
                                   digits, fit_both, skipped_monitors)

L = keras.layers


class CustomModel(GuideTrainStep, keras.Model):
    """The guide's model: its own steps (the guide's `train_step` is `GuideTrainStep`'s), the
    compiled loss and metrics."""

    def test_step(self, data):
        x, y = data
        y_pred = self(x, training=False)
        return self.update_metrics(self.compute_loss(y=y, y_pred=y_pred), y, y_pred)


class LowLevelModel(keras.Model):
    """The guide's low-level model: its own loss function and loss tracker, no compiled loss."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            loss = self.loss_fn(y, self(x, training=True))
        variables = self.trainable_variables
        self.optimizer.apply(tape.gradient(loss, variables), variables)
        self.loss_tracker.update_state(loss)
        return {"loss": self.loss_tracker.result()}

    def test_step(self, data):
        x, y = data
        self.loss_tracker.update_state(self.loss_fn(y, self(x, training=False)))
        return {"loss": self.loss_tracker.result()}

    @property
    def metrics(self):
        return [self.loss_tracker]


def _network(model_class):
    inputs = keras.Input((64,))
    hidden = L.Dense(32, activation="relu")(inputs)
    return model_class(inputs, L.Dense(DIGIT_CLASSES)(hidden))


def _fit(model, callbacks):
    x, y = digits()
    return model.fit(x[:1400], y[:1400], validation_data=(x[1400:], y[1400:]), batch_size=32, epochs=3,
                     verbose=0, callbacks=callbacks)


@pytest.mark.parametrize("seed", SEEDS)
def test_train_step_and_test_step_overrides_with_the_compiled_loss(seed):
    def build():
        model = _network(CustomModel)
        model.compile(keras.optimizers.Adam(0.01), keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                      metrics=["accuracy"])
        return model

    diagnostics, _, (history,) = fit_both(build, _fit, seed)
    assert_learned(history, math.log(DIGIT_CLASSES))
    assert_healthy(diagnostics)


@pytest.mark.parametrize("seed", SEEDS)
def test_low_level_steps_with_their_own_loss_and_tracker(seed):
    def build():
        model = _network(LowLevelModel)
        model.compile(keras.optimizers.Adam(0.01))
        return model

    diagnostics, _, (history,) = fit_both(build, _fit, seed)
    assert_learned(history, math.log(DIGIT_CLASSES))
    assert [str(finding) for finding in diagnostics.findings] == []
    # No compiled loss: the steps give no class counts, and ImbalanceMonitor says so in skipped.
    assert "ImbalanceMonitor" in skipped_monitors(diagnostics)
    assert_unjudged_is_skipped(diagnostics)
