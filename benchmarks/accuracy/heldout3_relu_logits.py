"""Held out (third split): ReLU on the logits under `from_logits=True`.

The fault. A user gives the output layer of a digits classifier `activation="relu"` and compiles
with `SparseCategoricalCrossentropy(from_logits=True)`, so the "logits" can never be negative.
Cross-entropy pushes every wrong class's logit down; a ReLU logit pushed below zero on every
image outputs 0 with a zero gradient and never comes back, so whole classes lose their score
unit and the loss stalls far above what the network could reach. The run must show, at the end,
half or more of the 10 output units at exactly 0 on every measured training image (measured on
the output layer's values) and a training loss above half of chance.

Expected: `output_loss_mismatch` (the cause: an output activation that cannot produce the
values the loss expects). Acceptable: `dead_relu` (the dead logit units are the mechanism it
acts through), `plateau` and `underfitting` (the stalled loss they make).

The healthy twin has a linear output layer (the fix). It must train well.
"""

import numpy as np
from keras import losses, optimizers

from benchmarks.accuracy import measure, models
from benchmarks.accuracy.scenario import scenario

EPOCHS = 5
LEARNING_RATE = 5e-3
BATCH = 16
DEAD_LOGITS = 0.5
DEAD_LOGIT_SIDE_EFFECTS = ("dead_relu", "plateau", "underfitting")


def _run(output_activation, seed):
    model = models.dense_stack(64, [64, 64], "relu", output_activation=output_activation)
    return models.digits_run(model, optimizers.Adam(LEARNING_RATE), seed, EPOCHS,
                             loss=losses.SparseCategoricalCrossentropy(from_logits=True), batch_size=BATCH)


def logits_die(trained):
    """Share of output units that are 0 on every measured training row, and the loss against
    chance."""
    run = trained.run
    logits = run.model.predict(measure.inputs_of(run.x), verbose=0)
    dead = float(np.mean(np.all(logits <= 0, axis=0)))
    share = trained.history["loss"][-1] / measure.chance_loss(run)
    holds = dead >= DEAD_LOGITS and share > measure.FAILING_LOSS_SHARE
    return holds, f"dead logit units {dead:.2f}, final loss / chance {share:.2f}"


@scenario("mlp", expected=("output_loss_mismatch",), acceptable=DEAD_LOGIT_SIDE_EFFECTS,
          heldout=True, verify=logits_die)
def heldout3_relu_logits_from_logits(seed):
    return _run("relu", seed)


@scenario("mlp", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout3_healthy_linear_logits_from_logits(seed):
    return _run(None, seed)
