"""Held out (sixth split): a two-head model compiled with `loss_weights=[1.0, 0.0]` by mistake.

The fault. A user predicts two things from one digit image with a functional model: head A
(`digit`, softmax over 10) and head B (`high`, one sigmoid unit: is the digit 5 or more). While
debugging head A they compiled with `loss_weights=[1.0, 0.0]` and forgot to set it back. Keras
still computes and reports head B's loss (`high_loss`), but the total loss that is
differentiated holds it times 0: head B's kernel and bias receive an exactly zero gradient, never
move from their initial values, and head B predicts "5 or more" no better than its random
initial weights do, while head A trains well. The run must show head B's weights at the end
exactly equal to their initial values, and head B's accuracy on the training data below 0.7 (a
trained head reaches 0.95 or more).

Expected: `suspicious_config` (the cause is a setup value: a loss weight of 0 takes one
output out of training).
Acceptable:
- `zero_gradient`: head B's weights get an exactly zero gradient, cut off from the loss;
- `underfitting`: head B's loss stays at its initial value, near chance.

The healthy twin compiles with `loss_weights=[1.0, 1.0]` (the fix). Both heads must end below
half of their chance loss, and neither may overfit.
"""

import keras
import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import data, measure
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 10
LEARNING_RATE = 2e-3
HEADS = ("digit", "high")
# A head that learnt nothing: no better than this at "5 or more" (the classes are ~50:50).
UNTRAINED_ACCURACY = 0.7
SILENT_HEAD_SIDE_EFFECTS = ("zero_gradient", "underfitting")


def _targets(y):
    return {"digit": y, "high": (y >= 5).astype("float32")[:, None]}


def two_heads():
    inputs = keras.Input((64,))
    trunk = layers.Dense(64, activation="relu")(inputs)
    trunk = layers.Dense(32, activation="relu")(trunk)
    digit = layers.Dense(10, activation="softmax", name="digit")(trunk)
    high = layers.Dense(1, activation="sigmoid", name="high")(trunk)
    return keras.Model(inputs, [digit, high])


def _run(loss_weights, seed):
    (x, y), (x_val, y_val) = data.digits(seed)
    targets, val_targets = _targets(y), _targets(y_val)
    return Run(two_heads(), optimizers.Adam(LEARNING_RATE),
               ["sparse_categorical_crossentropy", "binary_crossentropy"], x,
               [targets["digit"], targets["high"]], epochs=EPOCHS,
               validation_data=(x_val, [val_targets["digit"], val_targets["high"]]),
               loss_weights=loss_weights)


def _head_b_weights(model):
    return [np.asarray(w) for w in model.get_layer("high").get_weights()]


def head_b_untouched(trained):
    """Head B's weights against their initial values (the last two arrays of the model's
    weights: its kernel and bias), and its training accuracy."""
    run = trained.run
    model = run.model
    now = _head_b_weights(model)
    initial = trained.initial_weights[-len(now):]
    unchanged = measure.weights_equal(now, initial)
    predicted = np.asarray(model.predict(run.x, verbose=0)[1]) > 0.5
    accuracy = float(np.mean(predicted == (run.y[1] > 0.5)))
    return unchanged and accuracy < UNTRAINED_ACCURACY, \
        f"head B weights unchanged {unchanged}, head B accuracy {accuracy:.2f}"


@scenario("two_output", expected=("suspicious_config",), acceptable=SILENT_HEAD_SIDE_EFFECTS,
          heldout=True, verify=head_b_untouched)
def heldout6_two_output_loss_weights_1_0(seed):
    return _run([1.0, 0.0], seed)


@scenario("two_output", heldout=True, verify=measure.heads_learn(HEADS))
def heldout6_healthy_two_output_loss_weights_1_1(seed):
    return _run([1.0, 1.0], seed)
