"""Held out (seventh split): binary labels coded as -1/+1 fed to a sigmoid output with binary
cross-entropy.

The fault. A user coming from SVMs codes the breast-cancer labels as -1 and +1 and trains a
`Dense(1, activation="sigmoid")` output with `binary_crossentropy`. For a label of -1 the loss
-[y log p + (1 - y) log(1 - p)] becomes log p - 2 log(1 - p): it has no minimum inside (0, 1)
and falls without bound as p goes to 0 (Keras clips p at 1e-7, where it is about -16). The
negative samples therefore pull their output to 0 as hard as they can and the loss turns
negative, which no valid cross-entropy can. The run must show labels of -1 in the training data
and a training loss below 0 at some epoch.

Expected: `label_mismatch` (labels outside {0, 1} for a sigmoid output under binary
cross-entropy).
Acceptable:
- `saturation`: the output is pushed to its lower bound for the -1 samples;
- `underfitting`: the model's predictions for the +1 class suffer.

The healthy twin maps the labels to 0/1 (the fix). It must train well.
"""

import keras
import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import data, measure
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 10
LEARNING_RATE = 1e-3
FEATURES = 30
SVM_LABEL_SIDE_EFFECTS = ("saturation", "underfitting")


def _run(svm_labels, seed):
    (x, y), (x_val, y_val) = data.standardized("breast_cancer", seed)
    if svm_labels:
        y, y_val = 2 * y - 1, 2 * y_val - 1
    model = keras.Sequential([keras.Input((FEATURES,)), layers.Dense(32, activation="relu"),
                              layers.Dense(16, activation="relu"),
                              layers.Dense(1, activation="sigmoid")])
    return Run(model, optimizers.Adam(LEARNING_RATE), "binary_crossentropy",
               x, y.astype("float32"), epochs=EPOCHS,
               validation_data=(x_val, y_val.astype("float32")))


def loss_goes_negative(trained):
    """Labels of -1 in the training data and a negative training loss at some epoch."""
    minus_one = bool(np.any(np.asarray(trained.run.y) == -1))
    lowest = float(np.min(trained.history["loss"]))
    return minus_one and lowest < 0, f"labels of -1: {minus_one}, lowest epoch loss {lowest:.2f}"


@scenario("mlp", expected=("label_mismatch",), acceptable=SVM_LABEL_SIDE_EFFECTS, heldout=True,
          verify=loss_goes_negative)
def heldout7_mlp_sigmoid_bce_labels_minus_one_plus_one(seed):
    return _run(True, seed)


@scenario("mlp", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout7_healthy_mlp_sigmoid_bce_labels_zero_one(seed):
    return _run(False, seed)
