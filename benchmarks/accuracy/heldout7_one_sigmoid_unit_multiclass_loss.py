"""Held out (seventh split): a one-unit sigmoid output under a multi-class cross-entropy.

The fault. A user builds a binary classifier (breast cancer, standardized features) with a
`Dense(1, activation="sigmoid")` output and compiles it with a multi-class cross-entropy. The
brief's form of the slip, `loss="sparse_categorical_crossentropy"` on the 0/1 labels, cannot
run on a CPU: TensorFlow's kernel stops the first batch with "Received a label value of 1
which is outside the valid range of [0, 1)" (on a GPU it gives NaN instead). Its runnable form,
kept here, is `loss="categorical_crossentropy"` on the labels as a `(n, 1)` column: a softmax
over one unit is always 1, so the loss is exactly 0 for every sample, whatever the weights, and
the reported loss says all is perfect. Its gradient is not zero: Keras hands the sigmoid's
logit to TensorFlow's softmax cross-entropy, whose gradient (softmax minus label) is 1 for every
negative sample, so training pushes every logit down and the model drifts towards answering 0
for everything. The run must show a training loss of 0 at every epoch and a validation accuracy
(output thresholded at 0.5) no better than always answering the commonest class.

Expected: `output_loss_mismatch` (one sigmoid unit under a loss that normalizes over classes).
Acceptable:
- `zero_gradient`: the loss is constant, so every gradient is exactly zero (written before the
  first run, kept as written: the run showed the gradient is not zero, see above);
- `underfitting`: the model stays at its initial, untrained predictions;
- `plateau`: the loss never moves.

The healthy twin uses `loss="binary_crossentropy"` (the fix). It must train well.
"""

import numpy as np
from keras import optimizers

from benchmarks.accuracy import data, measure, models
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 10
LEARNING_RATE = 1e-3
FEATURES = 30
# A cross-entropy over one class is exactly 0; float rounding only.
ZERO_LOSS = 1e-6
ONE_CLASS_LOSS_SIDE_EFFECTS = ("zero_gradient", "underfitting", "plateau")


def _run(loss, seed):
    (x, y), (x_val, y_val) = data.standardized("breast_cancer", seed)
    model = models.dense_stack(FEATURES, [32, 16], "relu", output_units=1,
                               output_activation="sigmoid")
    y, y_val = y.astype("float32").reshape(-1, 1), y_val.astype("float32").reshape(-1, 1)
    return Run(model, optimizers.Adam(LEARNING_RATE), loss, x, y, epochs=EPOCHS,
               validation_data=(x_val, y_val))


def loss_stuck_at_zero(trained):
    """The training loss is 0 at every epoch and the validation accuracy is no better than the
    commonest class's share."""
    losses = np.asarray(trained.history["loss"], dtype="float64")
    zero = bool(np.all(np.abs(losses) <= ZERO_LOSS))
    x_val, y_val = trained.run.validation_data
    predicted = np.asarray(trained.run.model(x_val)).reshape(-1) > 0.5
    accuracy = float(np.mean(predicted == (y_val.reshape(-1) > 0.5)))
    majority = float(max(np.mean(y_val), 1 - np.mean(y_val)))
    return zero and accuracy <= majority, f"largest epoch loss {np.max(np.abs(losses)):.1e}, " \
        f"validation accuracy {accuracy:.2f} (commonest class {majority:.2f})"


@scenario("mlp", expected=("output_loss_mismatch",), acceptable=ONE_CLASS_LOSS_SIDE_EFFECTS,
          heldout=True, verify=loss_stuck_at_zero)
def heldout7_mlp_one_sigmoid_unit_categorical_crossentropy(seed):
    return _run("categorical_crossentropy", seed)


@scenario("mlp", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout7_healthy_mlp_one_sigmoid_unit_binary_crossentropy(seed):
    return _run("binary_crossentropy", seed)
