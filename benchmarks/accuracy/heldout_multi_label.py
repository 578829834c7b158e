"""Held out: several labels per sample behind a softmax, under mean squared error.

The fault. A user tags each digit image with five yes/no attributes (even, above 4, prime, has a
closed loop, written with one stroke: about 2.7 of them true per image) and treats it as
classification: a `softmax` over the five attributes and `mse`. A softmax sums to 1, the
targets sum to 2.7 on average: the model cannot put more than one attribute above 0.5, so every
image with two or more attributes is wrong whatever it learns. The run must show targets that sum
above 1.5 on average and a thresholded exact-match accuracy (prediction > 0.5 equals the
target on all five) no higher than the share of images with at most one attribute (measured
with NumPy). Expected: `label_mismatch` (targets outside what the output can produce);
`output_loss_mismatch` (softmax for independent labels) is an acceptable reading of the same bug.

The healthy twin uses five sigmoids and binary cross-entropy (the fix). It must end below half
of the chance loss (the mean of the attributes' binary entropies) and not overfit.
"""

import numpy as np
from keras import optimizers

from benchmarks.accuracy import data, measure, models
from benchmarks.accuracy.scenario import Run, scenario

# Per digit 0-9: even, above 4, prime, has a closed loop, written with one stroke.
ATTRIBUTES = np.array([
    [1, 0, 0, 1, 1], [0, 0, 0, 0, 1], [1, 0, 1, 0, 1], [0, 0, 1, 0, 1], [1, 0, 0, 1, 0],
    [0, 1, 1, 0, 0], [1, 1, 0, 1, 1], [0, 1, 1, 0, 1], [1, 1, 0, 1, 1], [0, 1, 0, 1, 1],
], dtype="float32")
MULTI_HOT_SUM = 1.5
STALL_SIDE_EFFECTS = ("output_loss_mismatch", "underfitting", "plateau")


def tagged_digits(seed):
    (x, y), (x_val, y_val) = data.digits(seed)
    return (x, ATTRIBUTES[y]), (x_val, ATTRIBUTES[y_val])


def softmax_cannot_fit():
    """Targets sum above `MULTI_HOT_SUM` on average, and the exact-match accuracy of the
    thresholded predictions is at most the share of targets with one attribute or none."""
    def verify(trained):
        run = trained.run
        y = np.asarray(run.y)
        predicted = np.asarray(run.model.predict(run.x, verbose=0)) > 0.5
        exact = float(np.mean(np.all(predicted == (y > 0.5), axis=1)))
        reachable = float(np.mean(y.sum(1) <= 1))
        return float(y.sum(1).mean()) > MULTI_HOT_SUM and exact <= reachable, \
            f"mean labels per sample {y.sum(1).mean():.2f}, exact match {exact:.2f} <= {reachable:.2f}"
    return verify


def binary_learns(share=measure.FAILING_LOSS_SHARE):
    """The final loss is below `share` of the mean binary entropy of the attributes, and the
    run does not overfit."""
    generalizes = measure.generalizes()

    def verify(trained):
        p = np.clip(np.asarray(trained.run.y).mean(0), 1e-7, 1 - 1e-7)
        chance = float(np.mean(-(p * np.log(p) + (1 - p) * np.log(1 - p))))
        ratio = trained.history["loss"][-1] / chance
        ok, note = generalizes(trained)
        return ok and ratio < share, f"final loss / chance {ratio:.2f}; {note}"
    return verify


@scenario("mlp", expected=("label_mismatch",), acceptable=STALL_SIDE_EFFECTS, heldout=True,
          verify=softmax_cannot_fit())
def heldout_multi_label_softmax_mse_on_multi_hot_targets(seed):
    (x, y), val = tagged_digits(seed)
    model = models.dense_stack(64, [64], "relu", output_units=5, output_activation="softmax")
    return Run(model, optimizers.Adam(3e-3), "mse", x, y, epochs=8, validation_data=val)


@scenario("mlp", heldout=True, verify=binary_learns())
def heldout_healthy_multi_label_sigmoid_binary_ce(seed):
    (x, y), val = tagged_digits(seed)
    model = models.dense_stack(64, [64], "relu", output_units=5, output_activation="sigmoid")
    return Run(model, optimizers.Adam(3e-3), "binary_crossentropy", x, y, epochs=8, validation_data=val)
