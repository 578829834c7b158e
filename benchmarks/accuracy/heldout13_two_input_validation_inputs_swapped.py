"""Held out (thirteenth split): a two-input model validated with its two inputs swapped.

The fault. A user classifies the digits from their top and bottom halves, fed as two inputs
(`keras.Input(name="top")`, `keras.Input(name="bottom")`) to a `Dense(32, "relu")` branch each,
concatenated into a `Dense(32, "relu")` layer and a 10-way softmax (Adam(1e-3), 20 epochs).
The training inputs are passed as `[top, bottom]`, but the validation inputs were assembled in
another order, `[bottom_val, top_val]`; Keras matches a list to the inputs by position, so
every validation image reaches the model upside-down in halves (the top branch sees bottoms).
Training goes well; the validation predictions are for images the model never saw, so the
validation loss stays high and rises as the branches specialize. The run must show a
validation accuracy below 0.5 on the inputs as passed and at least 0.85 on the same validation
rows with the halves in the training order.

Expected: `label_mismatch` (the validation inputs and labels do not relate the way the training
ones do).
Acceptable:
- `overfitting`: the validation loss stays far above the training loss and rises, which is
  what overfitting looks like from the curves.

The healthy twin passes `[top_val, bottom_val]` (the fix). It must reach 0.9 validation
accuracy and generalize.
"""

import numpy as np
from keras import optimizers

from benchmarks.accuracy import data, heldout11_parts, heldout12_parts, measure, models
from benchmarks.accuracy.scenario import Run, scenario

WRONG_ACCURACY = 0.5
RIGHT_ACCURACY = 0.85


def _run(swapped, seed):
    (halves, y), (halves_val, y_val) = data.digit_halves(seed)
    val_inputs = halves_val[::-1] if swapped else halves_val
    model = models.two_input([32], "relu", head_widths=(32,))
    return Run(model, optimizers.Adam(1e-3), "sparse_categorical_crossentropy", halves, y, epochs=20,
               validation_data=(val_inputs, y_val), metrics=("accuracy",))


def wrong_as_passed_right_in_order(trained):
    model = trained.run.model
    swapped, y_val = trained.run.validation_data
    as_passed = heldout12_parts.accuracy_on(model, swapped, y_val)
    in_order = heldout12_parts.accuracy_on(model, list(swapped[::-1]), y_val)
    return as_passed < WRONG_ACCURACY and in_order >= RIGHT_ACCURACY, \
        f"validation accuracy as passed {as_passed:.3f}, halves in training order {in_order:.3f}"


@scenario("two_input", expected=("label_mismatch",), acceptable=("overfitting",), heldout=True,
          verify=wrong_as_passed_right_in_order)
def heldout13_two_input_digit_halves_validation_inputs_swapped(seed):
    return _run(True, seed)


@scenario("two_input", heldout=True, verify=heldout11_parts.accurate_and_generalizes())
def heldout13_healthy_two_input_digit_halves_validation_inputs_in_order(seed):
    return _run(False, seed)
