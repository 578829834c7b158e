"""Held out (sixth split): a custom `train_step` that never applies its gradients.

The fault. A user follows keras.io's "Customizing what happens in `fit()`": a `keras.Model`
subclass, built functionally (`StepModel(inputs, outputs)`), whose `train_step` runs the model
under a `tf.GradientTape`, computes the loss with `self.compute_loss`, takes the gradients and
updates the metrics, but the line `self.optimizer.apply(gradients, self.trainable_variables)`
was lost in an edit. `fit` runs, the progress bar shows a loss, the gradients are computed and
thrown away: no weight ever moves, and the loss stays at its initial value, near chance, epoch
after epoch. The run must show, at the end, every weight exactly equal to its initial value,
and a training loss above half of chance.

Expected: `suspicious_config` (the cause is the setup: a training step that never updates the
weights).
Acceptable:
- `plateau`: the loss is the same in every epoch;
- `underfitting`: the model stays at its random start, near chance;
- `zero_gradient`: every applied update is exactly zero, as if the loss were cut off from the
  weights.

The healthy twin's `train_step` has the `self.optimizer.apply(...)` line (the fix). It must
train well.
"""

import keras
from keras import layers, optimizers

from benchmarks.accuracy import data, measure, models
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 8
LEARNING_RATE = 1e-3
UNTOUCHED_SIDE_EFFECTS = ("plateau", "underfitting", "zero_gradient")


class ForgetfulStepModel(models.GuideTrainStep, keras.Model):
    """keras.io's custom `train_step`, without the optimizer's `apply`."""

    applies_updates = False


class StepModel(models.GuideTrainStep, keras.Model):
    """keras.io's custom `train_step`."""


def _run(model_class, seed):
    (x, y), val = data.digits(seed)
    inputs = keras.Input((64,))
    tensor = layers.Dense(64, activation="relu")(inputs)
    tensor = layers.Dense(64, activation="relu")(tensor)
    outputs = layers.Dense(10, activation="softmax")(tensor)
    return Run(model_class(inputs, outputs), optimizers.Adam(LEARNING_RATE),
               "sparse_categorical_crossentropy", x, y, epochs=EPOCHS, validation_data=val)


def weights_never_move(trained):
    """Every weight at the end equals its initial value exactly."""
    now = trained.run.model.get_weights()
    unchanged = measure.weights_equal(now, trained.initial_weights)
    return unchanged, f"every weight unchanged {unchanged}"


@scenario("mlp", expected=("suspicious_config",), acceptable=UNTOUCHED_SIDE_EFFECTS,
          heldout=True, verify=measure.all_of(weights_never_move, measure.fails_to_learn()))
def heldout6_mlp_custom_train_step_without_apply(seed):
    return _run(ForgetfulStepModel, seed)


@scenario("mlp", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout6_healthy_mlp_custom_train_step_with_apply(seed):
    return _run(StepModel, seed)
