"""Held out: a model with two outputs, one head's loss misconfigured.

The fault. A user predicts two things from one digit image: the digit (`digit`: softmax over
10) and whether it is even (`parity`: one sigmoid unit). Copying the first head's setup, they give
the parity head `categorical_crossentropy`. A softmax cross-entropy over one unit is always 0:
the parity loss reads 0.0 at every epoch. Its gradient is not: Keras computes it from the
sigmoid's logit, where softmax-minus-label is 1 - y, so every odd digit pushes the parity logit
down, without end (measured: non-zero gradients on the head and the trunk at a loss of 0). The
logit runs to minus infinity, drags the shared trunk with it, and the digit head's loss climbs
from 2.5 to ~200 within 8 epochs. The run must show the parity loss at 0 in every epoch and the
parity head no better than chance (accuracy below 0.6, measured with NumPy). Expected:
`output_loss_mismatch` (a one-unit output under a categorical loss).

The healthy twin gives the parity head `binary_crossentropy` (the fix). Both heads must end
below half of their chance loss, and neither may overfit.
"""

import keras
import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import data, measure
from benchmarks.accuracy.scenario import Run, scenario

HEADS = ("digit", "parity")
# A head "learned nothing" when it classifies parity no better than this.
CHANCE_ACCURACY = 0.6
# The trunk dragged along by the runaway logit: the digit head's loss climbs, weights grow.
RUNAWAY_SIDE_EFFECTS = ("underfitting", "exploding_gradient", "dead_relu", "oscillation")


def _targets(y):
    return {"digit": y, "parity": (y % 2 == 0).astype("float32")[:, None]}


def _two_heads():
    inputs = keras.Input((64,))
    trunk = layers.Dense(64, activation="relu")(inputs)
    trunk = layers.Dense(32, activation="relu")(trunk)
    return keras.Model(inputs, {"digit": layers.Dense(10, activation="softmax", name="digit")(trunk),
                                "parity": layers.Dense(1, activation="sigmoid", name="parity")(trunk)})


def parity_head_silent():
    """The parity loss is 0 at every epoch and the parity head's accuracy is below
    `CHANCE_ACCURACY` on the training data, at the end."""
    def verify(trained):
        run = trained.run
        losses = trained.history["parity_loss"]
        predicted = np.asarray(run.model.predict(run.x, verbose=0)["parity"]) > 0.5
        accuracy = float(np.mean(predicted == (run.y["parity"] > 0.5)))
        return max(losses) == 0.0 and accuracy < CHANCE_ACCURACY, \
            f"largest parity loss {max(losses):.1e}, parity accuracy {accuracy:.2f}"
    return verify


def _run(seed, parity_loss):
    (x, y), (x_val, y_val) = data.digits(seed)
    loss = {"digit": "sparse_categorical_crossentropy", "parity": parity_loss}
    return Run(_two_heads(), optimizers.Adam(3e-3), loss, x, _targets(y), epochs=8,
               validation_data=(x_val, _targets(y_val)))


@scenario("two_output", expected=("output_loss_mismatch",), acceptable=RUNAWAY_SIDE_EFFECTS,
          heldout=True,
          verify=parity_head_silent())
def heldout_two_output_categorical_ce_on_one_sigmoid_head(seed):
    return _run(seed, "categorical_crossentropy")


@scenario("two_output", heldout=True, verify=measure.heads_learn(HEADS))
def heldout_healthy_two_output_binary_ce_on_sigmoid_head(seed):
    return _run(seed, "binary_crossentropy")
