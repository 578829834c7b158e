"""Held out (tenth split): a two-output model given its targets in the wrong order.

The fault. A user's digits model has a shared trunk (`Dense(64, "relu")`) and two heads, "digit"
(`Dense(10, "softmax")`, sparse categorical cross-entropy) and "odd" (`Dense(1, "sigmoid")`,
binary cross-entropy), Adam(1e-3). Outputs are `[digit, odd]`, but the target list is built as
`[odd_labels, digit_labels]`; Keras matches a list by position, so the digit head learns the
parity (0/1 are valid class ids) and the odd head gets the digits 0 to 9 as binary
targets. Cross-entropy with a target above 1 has no minimum: `-(y log p + (1 - y) log(1 - p))`
with y = 9 falls without bound as p goes to 1, so that head's loss goes negative and keeps
falling, its logit grows every step, and the total loss is dominated by it. The digit head
never sees a digit. The run must show the odd head's final training loss below 0 and the digit
head's accuracy on the true digits (validation) below 0.4.

Expected: `label_mismatch` (binary targets outside [0, 1] for a sigmoid head).
Acceptable:
- `output_loss_mismatch`: the loss and targets of that head do not fit each other;
- `saturation`: the odd head's sigmoid is driven to its bound;
- `underfitting`: the digit head does not learn the digits.

The healthy twin passes `[digit_labels, odd_labels]` (the fix; a dict by output name does the
same). Both heads must learn, and the run generalize.
"""

import keras
import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import data, measure
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 12
HEADS = ("digit", "odd")
DIGIT_HEAD_POOR = 0.4
SWAPPED_TARGETS_SIDE_EFFECTS = ("output_loss_mismatch", "saturation", "underfitting")


def _model():
    inputs = keras.Input((64,))
    trunk = layers.Dense(64, activation="relu")(inputs)
    digit = layers.Dense(10, activation="softmax", name="digit")(trunk)
    odd = layers.Dense(1, activation="sigmoid", name="odd")(trunk)
    return keras.Model(inputs, [digit, odd])


def _targets(y, swapped):
    digit, odd = y, (y % 2).astype("float32")[:, None]
    return [odd, digit.astype("float32")[:, None]] if swapped else [digit, odd]


def _run(swapped, seed):
    (x, y), (x_val, y_val) = data.digits(seed)
    return Run(_model(), optimizers.Adam(1e-3), ["sparse_categorical_crossentropy", "binary_crossentropy"],
               x, _targets(y, swapped), epochs=EPOCHS,
               validation_data=(x_val, _targets(y_val, swapped)))


def digit_head_misled(trained):
    """The odd head's final training loss is below 0, and the digit head's validation accuracy
    on the true digits is below `DIGIT_HEAD_POOR`."""
    run = trained.run
    x_val = run.validation_data[0]
    # Swapped: the second validation target holds the true digits.
    labels = np.asarray(run.validation_data[1][1]).reshape(-1).astype("int64")
    predicted = np.asarray(run.model(x_val)[0]).argmax(-1)
    accuracy = float(np.mean(predicted == labels))
    odd_loss = trained.history["odd_loss"][-1]
    return odd_loss < 0 and accuracy < DIGIT_HEAD_POOR, \
        f"odd head final loss {odd_loss:.2f}; digit head accuracy on true digits {accuracy:.3f}"


@scenario("two_output", expected=("label_mismatch",), acceptable=SWAPPED_TARGETS_SIDE_EFFECTS,
          heldout=True, verify=digit_head_misled)
def heldout10_two_output_target_list_in_wrong_order(seed):
    return _run(True, seed)


@scenario("two_output", heldout=True, verify=measure.heads_learn(HEADS))
def heldout10_healthy_two_output_target_list_in_output_order(seed):
    return _run(False, seed)
