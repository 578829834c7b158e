"""Held out (twelfth split): `Adadelta()` with Keras' default learning rate of 0.001.

The fault. A user reads that Adadelta "needs no learning rate" (the paper's update has none: it
divides a running root of past steps by a running root of past gradients) and swaps Adam for
`keras.optimizers.Adadelta()` on a ReLU digits MLP (`Dense(64, "relu")`, softmax head), 15
epochs. Keras' Adadelta multiplies that update by `learning_rate`, whose default is 0.001, not
the 1.0 of the paper; Adadelta's own steps start near sqrt(epsilon) = 1e-3.5 and grow slowly, so
each weight moves about a millionth per step and the whole run changes the weights by far less
than their size. The loss stays at the chance level, falling a fraction of a percent per epoch.
The run must show a final training loss above 90% of chance, a loss that changes by less than 3%
from the first epoch to the last, and a weight change below 1% of the initial weights' norm.

Expected: `underfitting` (the model ends at chance on its own training data).
Acceptable:
- `plateau`: the loss is flat over the whole run;
- `suspicious_config`: the learning rate (0.001 under an optimizer whose recipe uses 1.0) named
  as the cause.

The healthy twin uses `Adadelta(learning_rate=1.0)` (the fix: the paper's rate). It must reach
0.9 validation accuracy and generalize.
"""

import numpy as np
from keras import optimizers

from benchmarks.accuracy import heldout11_parts, heldout12_parts, measure, models
from benchmarks.accuracy.scenario import scenario

EPOCHS = 15
NEAR_CHANCE = 0.9
FLAT_CHANGE = 0.03
STILL_WEIGHTS = 0.01
SLOW_OPTIMIZER_SIDE_EFFECTS = ("plateau", "suspicious_config")


def _run(learning_rate, seed):
    return models.digits_run(heldout12_parts.digits_mlp(), optimizers.Adadelta(learning_rate), seed,
                             EPOCHS, metrics=("accuracy",))


def stays_at_chance(trained):
    """The final training loss is above `NEAR_CHANCE` of chance, it changed by less than
    `FLAT_CHANGE` (relative) from the first epoch, and the weights moved by less than
    `STILL_WEIGHTS` of their initial norm."""
    loss = trained.history["loss"]
    ratio = loss[-1] / measure.chance_loss(trained.run)
    change = abs(loss[0] - loss[-1]) / loss[0]
    start = np.concatenate([w.ravel() for w in trained.initial_weights])
    end = np.concatenate([w.ravel() for w in trained.run.model.get_weights()])
    moved = float(np.linalg.norm(end - start) / np.linalg.norm(start))
    return ratio > NEAR_CHANCE and change < FLAT_CHANGE and moved < STILL_WEIGHTS, \
        f"final loss / chance {ratio:.2f}, loss change {change:.3f}, weight change {moved:.1e}"


@scenario("mlp", expected=("underfitting",), acceptable=SLOW_OPTIMIZER_SIDE_EFFECTS, heldout=True,
          verify=stays_at_chance)
def heldout12_mlp_adadelta_default_learning_rate_1e_3(seed):
    return _run(1e-3, seed)


@scenario("mlp", heldout=True, verify=heldout11_parts.accurate_and_generalizes())
def heldout12_healthy_mlp_adadelta_learning_rate_1(seed):
    return _run(1.0, seed)
