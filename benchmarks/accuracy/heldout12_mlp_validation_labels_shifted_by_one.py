"""Held out (twelfth split): validation labels shifted by one class.

The fault. A user keeps the digits' validation labels in a separate file whose classes were
written 1-10 (a spreadsheet's numbering) and converts them with `(label + 1) % 10` where
`label - 1` was meant, so every validation label is one class off from its image (a 3 is
labelled 4, a 9 is labelled 0); the training labels are right. A ReLU digits MLP (`Dense(64,
"relu")`, softmax head, Adam(1e-3), 15 epochs) learns the digits well, and the better it gets
the worse it does on the validation set: the validation loss rises from the first epoch and the
validation accuracy falls to near 0. Nothing about the model is wrong; the validation labels
are. The run must show a validation accuracy below 0.1 on the given labels and at least 0.9
against the labels shifted back by one class.

Expected: `label_mismatch` (the validation labels do not match their inputs the way the
training labels do).
Acceptable:
- `overfitting`: the validation loss rises while the training loss falls, which is what
  overfitting looks like from the curves.

The healthy twin passes the right validation labels (the fix). It must reach 0.9 validation
accuracy and generalize.
"""

from keras import optimizers

from benchmarks.accuracy import data, heldout11_parts, heldout12_parts
from benchmarks.accuracy.scenario import Run, scenario

WRONG_ACCURACY = 0.1
RIGHT_ACCURACY = 0.9
SHIFTED_LABEL_SIDE_EFFECTS = ("overfitting",)


def _run(shift, seed):
    (x, y), (x_val, y_val) = data.digits(seed)
    return Run(heldout12_parts.digits_mlp(), optimizers.Adam(1e-3), "sparse_categorical_crossentropy",
               x, y, epochs=15, validation_data=(x_val, (y_val + shift) % 10), metrics=("accuracy",))


def labels_one_class_off(trained):
    """The model classifies fewer than `WRONG_ACCURACY` of the validation rows as labelled, and at
    least `RIGHT_ACCURACY` of them as labelled minus one (mod 10): it learned the digits, the
    labels are shifted."""
    x_val, y_val = trained.run.validation_data
    model = trained.run.model
    given = heldout12_parts.accuracy_on(model, x_val, y_val)
    shifted_back = heldout12_parts.accuracy_on(model, x_val, (y_val - 1) % 10)
    return given < WRONG_ACCURACY and shifted_back >= RIGHT_ACCURACY, \
        f"validation accuracy {given:.3f} as labelled, {shifted_back:.3f} shifted back"


@scenario("mlp", expected=("label_mismatch",), acceptable=SHIFTED_LABEL_SIDE_EFFECTS, heldout=True,
          verify=labels_one_class_off)
def heldout12_mlp_validation_labels_shifted_by_one_class(seed):
    return _run(1, seed)


@scenario("mlp", heldout=True, verify=heldout11_parts.accurate_and_generalizes())
def heldout12_healthy_mlp_validation_labels_as_given(seed):
    return _run(0, seed)
