"""Held out (fourth split): the whole model frozen by accident before `compile`.

The fault. A user who meant to freeze a pretrained base writes `model.trainable = False` on the
model itself, then compiles a ReLU MLP for the digits. Keras then gives the optimizer no
trainable variable at all: every step computes the loss and changes nothing, so the training
loss is the same at every epoch and stays where the random initial weights put it. The run must
show, at the end, no trainable weight, every weight equal to its initial value, and a training
loss that moved by less than 1% over the run.

Expected: `zero_gradient` (the cause as the run shows it: no weight is connected to the loss by
a gradient, here because the flag removed every weight from training). Acceptable:
`suspicious_config` (the frozen flag named as the setup mistake it is), `plateau` and
`underfitting` (the loss that never moves and stays far from a fit).

The healthy twin leaves the model trainable (the fix). It must train well.
"""

import numpy as np
from keras import optimizers

from benchmarks.accuracy import data, measure, models
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 6
LEARNING_RATE = 1e-3
# The loss of a run whose weights never change moves only by float rounding.
UNMOVED_LOSS = 0.01
FROZEN_SIDE_EFFECTS = ("suspicious_config", "plateau", "underfitting")


def _run(trainable, seed):
    (x, y), val = data.digits(seed)
    model = models.dense_stack(64, [64, 64], "relu")
    model.trainable = trainable
    return Run(model, optimizers.Adam(LEARNING_RATE), "sparse_categorical_crossentropy", x, y,
               epochs=EPOCHS, validation_data=val)


def nothing_trains(trained):
    """Trainable weights left, whether every weight kept its initial value, and the loss change."""
    model, losses = trained.run.model, trained.history["loss"]
    unchanged = all(np.array_equal(before, after)
                    for before, after in zip(trained.initial_weights, model.get_weights()))
    change = abs(losses[-1] - losses[0]) / abs(losses[0])
    holds = not model.trainable_weights and unchanged and change < UNMOVED_LOSS
    return holds, (f"trainable weights {len(model.trainable_weights)}, weights unchanged "
                   f"{unchanged}, loss change {change:.1e}")


@scenario("mlp", expected=("zero_gradient",), acceptable=FROZEN_SIDE_EFFECTS, heldout=True,
          verify=nothing_trains)
def heldout4_mlp_whole_model_frozen(seed):
    return _run(False, seed)


@scenario("mlp", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout4_healthy_mlp_trainable(seed):
    return _run(True, seed)
