"""Held out (fourth split): ten-class labels fed to one sigmoid unit with binary cross-entropy.

The fault. A user builds a digits classifier as if it were binary: `Dense(1, "sigmoid")` and
`binary_crossentropy`, with the labels 0-9 as they come. Binary cross-entropy with a label y
above 1 is -y log p - (1 - y) log(1 - p): the second term changes sign, so the loss rewards
p -> 1 without bound (Keras computes it from the sigmoid's logit, so no clip stops it: the runs
end near -3e4); the "loss" goes negative and the single output says nothing about which digit
it saw. The run must show three quarters or more of the training labels outside {0, 1} (a
structural fact of the data against a one-unit sigmoid output; digits 2-9 are 80% of them) and a
final training loss below zero (the loss is no longer a likelihood).

Expected: `label_mismatch` (the cause: labels that the output and loss cannot represent).
Acceptable: `output_loss_mismatch` (the same mismatch seen from the output: one unit for ten
classes), `class_imbalance` (thresholding the labels at 0.5 makes a fake 9:1 split),
`zero_gradient` (once every score sits at the clip, its gradient is exactly zero; written
before any run, which then showed no clip: kept as written), `plateau`
and `underfitting` (a loss that stops at the clip, and a model that learned no digit).

The healthy twin has `Dense(10, "softmax")` and sparse categorical cross-entropy (the fix). It
must train well.
"""

import numpy as np
from keras import optimizers

from benchmarks.accuracy import data, measure, models
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 8
LEARNING_RATE = 1e-3
OUTSIDE_BINARY = 0.75
MULTICLASS_SIDE_EFFECTS = ("output_loss_mismatch", "class_imbalance", "zero_gradient",
                           "plateau", "underfitting")


def _run(binary, seed):
    (x, y), val = data.digits(seed)
    if binary:
        model = models.dense_stack(64, [64, 64], "relu", output_units=1,
                                   output_activation="sigmoid")
        return Run(model, optimizers.Adam(LEARNING_RATE), "binary_crossentropy", x,
                   y.astype("float32"), epochs=EPOCHS,
                   validation_data=(val[0], val[1].astype("float32")))
    model = models.dense_stack(64, [64, 64], "relu")
    return Run(model, optimizers.Adam(LEARNING_RATE), "sparse_categorical_crossentropy", x, y,
               epochs=EPOCHS, validation_data=val)


def labels_beyond_binary(trained):
    """Share of labels outside {0, 1}, and the final training loss."""
    y = np.asarray(trained.run.y)
    outside = float(np.mean((y != 0) & (y != 1)))
    last = trained.history["loss"][-1]
    holds = trained.run.model.output_shape[-1] == 1 and outside >= OUTSIDE_BINARY and last < 0
    return holds, f"labels outside {{0, 1}} {outside:.2f}, final loss {last:.3g}"


@scenario("mlp", expected=("label_mismatch",), acceptable=MULTICLASS_SIDE_EFFECTS, heldout=True,
          verify=labels_beyond_binary)
def heldout4_mlp_ten_classes_one_sigmoid_bce(seed):
    return _run(True, seed)


@scenario("mlp", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout4_healthy_mlp_ten_classes_softmax(seed):
    return _run(False, seed)
