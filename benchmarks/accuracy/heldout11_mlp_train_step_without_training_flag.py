"""Held out (eleventh split): a custom `train_step` that calls `self(x)` without
`training=True`, on a model that normalizes its raw inputs with `BatchNormalization`.

The fault. A user classifies the breast-cancer table as shipped (features from about 1e-3 to
4e3) and, instead of standardizing it, puts `BatchNormalization()` first: `BatchNormalization`,
`Dense(64, "relu")`, `Dense(1, "sigmoid")`, SGD(0.01), binary cross-entropy, 20 epochs. They
write their own `train_step` (the keras.io guide's, retyped) but call the model as `self(x)`.
`fit` does not put the model in training mode for a custom step: without `training=True` the
batch normalization runs in inference mode during training. It divides by its moving variance
and subtracts its moving mean, which start at 1 and 0 and are only updated in training mode, so
they never move: the layer normalizes nothing, and the raw features in the thousands reach the
Dense layer as they are: its gradients are thousands of times too large and the loss becomes NaN.
The run must show the normalization's moving mean still 0 and moving variance still 1 after the
fit, and a training loss that is not finite or ends above half of chance.

Expected: `unnormalized_input` (features in the thousands reach the first Dense layer).
Acceptable:
- `non_finite`: the loss becomes NaN;
- `exploding_gradient`: the first layer's gradients are scaled by the raw features;
- `underfitting`, `dead_relu`, `saturation`: what the oversized steps leave behind.

The healthy twin is the guide's step, `self(x, training=True)` (the fix). It must reach 0.9
validation accuracy and generalize.
"""

import keras
import numpy as np
import tensorflow as tf
from keras import layers, optimizers

from benchmarks.accuracy import data, heldout11_parts, measure, models
from benchmarks.accuracy.scenario import Run, scenario

INFERENCE_MODE_SIDE_EFFECTS = ("non_finite", "exploding_gradient", "underfitting", "dead_relu", "saturation")


class GuideStepModel(models.GuideTrainStep, keras.Model):
    """A functional model trained by keras.io's step, `self(x, training=True)`."""


class StepWithoutTrainingFlag(models.GuideTrainStep, keras.Model):
    """The user's retyped step: the guide's, except that the forward pass is `self(x)`."""

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            y_pred = self(x)
            loss = self.compute_loss(y=y, y_pred=y_pred)
        self.optimizer.apply(tape.gradient(loss, self.trainable_variables), self.trainable_variables)
        return self.update_metrics(loss, y, y_pred)


def _run(model_class, seed):
    (x, y), (x_val, y_val) = data.raw("breast_cancer", seed)
    inputs = keras.Input((x.shape[1],))
    hidden = layers.Dense(64, activation="relu")(layers.BatchNormalization()(inputs))
    model = model_class(inputs, layers.Dense(1, activation="sigmoid")(hidden))
    return Run(model, optimizers.SGD(0.01), "binary_crossentropy", x, y.astype("float32")[:, None],
               epochs=20, validation_data=(x_val, y_val.astype("float32")[:, None]), metrics=("accuracy",))


def normalization_never_trained(trained):
    """Every `BatchNormalization` still has moving mean 0 and moving variance 1, and the training
    loss is not finite or ends above `measure.FAILING_LOSS_SHARE` of chance."""
    norms = [layer for layer in trained.run.model.layers if isinstance(layer, layers.BatchNormalization)]
    untouched = all(np.all(np.asarray(layer.moving_mean) == 0) and np.all(np.asarray(layer.moving_variance) == 1)
                    for layer in norms)
    failed, note = measure.fails_to_learn()(trained)
    return bool(norms) and untouched and failed, f"moving statistics untouched: {untouched}; {note}"


@scenario("mlp", expected=("unnormalized_input",), acceptable=INFERENCE_MODE_SIDE_EFFECTS, heldout=True,
          verify=normalization_never_trained)
def heldout11_mlp_custom_train_step_calls_model_without_training_true(seed):
    return _run(StepWithoutTrainingFlag, seed)


@scenario("mlp", heldout=True, verify=heldout11_parts.accurate_and_generalizes())
def heldout11_healthy_mlp_custom_train_step_calls_model_with_training_true(seed):
    return _run(GuideStepModel, seed)
