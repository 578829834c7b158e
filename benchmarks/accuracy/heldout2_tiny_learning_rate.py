"""Held out (second split): SGD at a learning rate of 1e-6, and nothing moves.

The fault. A user copies a learning rate of 1e-6 (one meant for fine-tuning a large pretrained
model) into plain `SGD` for a small ReLU MLP on the digits. The gradients are ordinary (~1), but
each step moves a weight by ~1e-6, and the few hundred steps of the run add up to less than 1e-3:
the loss stays at its initial, chance-level value. The loss surface is not flat here (the same
model at 0.05 trains), the steps are too short. The run must show the training loss within 1% of
its first epoch's value over every epoch and above 90% of chance at the end, and a weight change
below 1e-3 of the initial weights' norm.

Expected: `suspicious_config` (the learning rate: the cause, and the one thing to change).
Acceptable: `plateau` and `underfitting` (the flat loss it makes).

The healthy twin uses `SGD(0.05)` (the fix). It must train well.
"""

import numpy as np
from keras import optimizers

from benchmarks.accuracy import data, measure, models
from benchmarks.accuracy.scenario import Run, scenario

TINY_LR = 1e-6
EPOCHS = 8
STILL_WEIGHTS = 1e-3
NEAR_CHANCE = 0.9
STILL_SIDE_EFFECTS = ("plateau", "underfitting")


def _mlp():
    return models.dense_stack(64, [64, 32], "relu")


def nothing_moves(trained):
    """Loss within `measure.STALL_CHANGE` over every epoch, near chance, weights barely changed."""
    losses = trained.history["loss"]
    stall = measure.longest_stall(losses)
    ratio = losses[-1] / measure.chance_loss(trained.run)
    before = np.concatenate([w.ravel() for w in trained.initial_weights])
    after = np.concatenate([w.ravel() for w in trained.run.model.get_weights()])
    moved = float(np.linalg.norm(after - before) / np.linalg.norm(before))
    holds = stall == len(losses) and ratio > NEAR_CHANCE and moved < STILL_WEIGHTS
    return holds, f"stall {stall}/{len(losses)} epochs, final loss / chance {ratio:.2f}, weights moved {moved:.1e}"


@scenario("mlp", expected=("suspicious_config",), acceptable=STILL_SIDE_EFFECTS, heldout=True,
          verify=nothing_moves)
def heldout2_mlp_sgd_learning_rate_1e6(seed):
    (x, y), val = data.digits(seed)
    return Run(_mlp(), optimizers.SGD(TINY_LR), "sparse_categorical_crossentropy", x, y,
               epochs=EPOCHS, validation_data=val)


@scenario("mlp", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout2_healthy_mlp_sgd_learning_rate_005(seed):
    (x, y), val = data.digits(seed)
    return Run(_mlp(), optimizers.SGD(0.05), "sparse_categorical_crossentropy", x, y,
               epochs=EPOCHS, validation_data=val)
