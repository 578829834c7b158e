"""Held out (third split): softmax applied twice, and the loss cannot go below a floor.

The fault. A user's classifier ends in `Dense(10, activation="softmax")` and then, copied from
another snippet, `Activation("softmax")`, trained with sparse categorical cross-entropy on the
digits. The second softmax sees probabilities in [0, 1], so its largest output is at most
e / (e + 9) = 0.23: the arg-max is kept and the accuracy rises, but the cross-entropy can never
fall below -log(0.23) = 1.46, 63% of chance (2.30), however well the model separates the
classes. The run must show a training accuracy of 0.8 or more, a training loss that ends above
half of chance, and no predicted probability above e / (e + 9) (measured on the final model's
outputs).

Expected: `output_loss_mismatch` (the cause: the model's output cannot reach the range the loss
needs). Acceptable: `underfitting` and `plateau` (the loss that stops at its floor, far above
zero, is what the squeezed output makes).

The healthy twin has one softmax (the fix). It must train well.
"""

import math

import keras
import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import data, measure
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 10
ACCURATE = 0.8
# The largest value a softmax over 10 inputs in [0, 1] can output.
CEILING = math.e / (math.e + 9)
FLOOR_SIDE_EFFECTS = ("underfitting", "plateau")


def _classifier(extra_softmax):
    head = [layers.Activation("softmax")] if extra_softmax else []
    return keras.Sequential([keras.Input((64,)), layers.Dense(64, activation="relu"),
                             layers.Dense(10, activation="softmax"), *head])


def _run(extra_softmax, seed):
    (x, y), val = data.digits(seed)
    return Run(_classifier(extra_softmax), optimizers.Adam(3e-3), "sparse_categorical_crossentropy",
               x, y, epochs=EPOCHS, validation_data=val, metrics=("accuracy",))


def accurate_but_floored(trained):
    """Training accuracy, final loss against chance, and the largest predicted probability."""
    run = trained.run
    accuracy = trained.history["accuracy"][-1]
    share = trained.history["loss"][-1] / measure.chance_loss(run)
    top = float(np.max(run.model.predict(measure.inputs_of(run.x), verbose=0)))
    holds = accuracy >= ACCURATE and share > measure.FAILING_LOSS_SHARE and top <= CEILING + 1e-6
    return holds, f"accuracy {accuracy:.2f}, final loss / chance {share:.2f}, top probability {top:.3f}"


@scenario("mlp", expected=("output_loss_mismatch",), acceptable=FLOOR_SIDE_EFFECTS, heldout=True,
          verify=accurate_but_floored)
def heldout3_softmax_applied_twice(seed):
    return _run(True, seed)


@scenario("mlp", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout3_healthy_single_softmax(seed):
    return _run(False, seed)
