"""Held out (ninth split): a first `Conv2D` with `strides=8` on 8x8 digits.

The fault. A user adapts an image classifier written for large photographs, whose first layer
is `Conv2D(32, 3, strides=8, padding="same", activation="relu")` (a stem that shrinks a
256-pixel image fast), to the 8x8 digits, followed by `Conv2D(64, 3, padding="same", "relu")`,
`Flatten` and `Dense(10, "softmax")`, and trains it with Adam(1e-3). On an 8x8 image a 3x3
window moved 8 pixels at a time fits once: the first layer's output is 1x1, computed from the
top-left 3x3 corner alone, 9 of the 64 pixels, where the digits have little ink (column 0 is
almost always blank). Nothing after it can see the rest of the image, so the model can only
tell apart the few digits whose strokes reach that corner: training and validation losses stay
far above the twin's, whatever the number of epochs. The run must show a first-layer output of
1x1 and a final training loss above half of chance (the label entropy).

Expected: `underfitting` (the model cannot fit the training data: it sees too little of it).
Acceptable:
- `plateau`: with so little to learn, the loss stops moving after the first epochs;
- `suspicious_config`: the cause is a setup value, a stride as large as the image.

The healthy twin uses `strides=1` (the fix). It must train well and generalize.
"""

import keras
from keras import layers, optimizers

from benchmarks.accuracy import data, heldout8_parts, measure
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 10
STRIDE_SIDE_EFFECTS = ("plateau", "suspicious_config")


def _run(strides, seed):
    (x, y), val = data.digits(seed, image=True)
    model = keras.Sequential([
        keras.Input((8, 8, 1)),
        layers.Conv2D(32, 3, strides=strides, padding="same", activation="relu"),
        layers.Conv2D(64, 3, padding="same", activation="relu"),
        layers.Flatten(),
        layers.Dense(10, activation="softmax"),
    ])
    return Run(model, optimizers.Adam(1e-3), "sparse_categorical_crossentropy", x, y, epochs=EPOCHS,
               validation_data=val, metrics=("accuracy",))


def first_output_is_one_pixel(run):
    return tuple(run.model.layers[0].output.shape[1:3]) == (1, 1)


@scenario("cnn", expected=("underfitting",), acceptable=STRIDE_SIDE_EFFECTS, heldout=True,
          verify=measure.all_of(measure.fact(first_output_is_one_pixel, "first conv output 1x1"),
                                measure.fails_to_learn()))
def heldout9_cnn_first_conv_strides_8_on_8x8_digits(seed):
    return _run(8, seed)


@scenario("cnn", heldout=True, verify=heldout8_parts.trains_and_generalizes())
def heldout9_healthy_cnn_first_conv_strides_1(seed):
    return _run(1, seed)
