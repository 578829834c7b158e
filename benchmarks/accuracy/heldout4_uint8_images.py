"""Held out (fourth split): images kept as uint8 0-255 bytes, no Rescaling layer.

The fault. A user feeds the digits as 8-bit images (pixel values 0-255, `uint8`, as an image
loader returns them) straight into a Conv2D ReLU network trained with `SGD(learning_rate=0.05)`,
without the `Rescaling(1 / 255)` that their pipeline was meant to start with. The first
convolution's outputs are some 255 times their intended size, and a kernel's gradient is its
input times the error, so the first steps are about 255 times too large for the first layer
and the loss runs away (here to NaN in the first epoch). The run must show inputs reaching 100
or more, and a training loss that is not finite or ends above half of chance.

Written first with `Adam(1e-3)` (the description's optimizer): there the raw bytes trained as
well as the rescaled twin at seeds 0 and 1 (final training loss 0.046 vs 0.064 at seed 0), so
the fault did not happen; with SGD at 0.05 it does, and the twin trains well at that rate.

Expected: `unnormalized_input` (the cause: inputs on a scale two orders of magnitude from what
the layers' initialization assumes). Acceptable: `exploding_gradient` (the scaled inputs scale
the first layers' gradients), `dead_relu` (large steps that switch units off), `oscillation`
(the erratic loss), `plateau` and `underfitting` (the stall); `non_finite` (the overflow the
runaway ends in: added when the scenario moved to SGD, from the plain-TensorFlow check, before
any diagnosis was run).

The healthy twin starts with `keras.layers.Rescaling(1 / 255)` (the fix). It must train well.
"""

import keras
import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import data, measure
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 8
LEARNING_RATE = 0.05
# Pixels of 100 and more: bytes, not the [0, 1] range the initializers assume.
RAW_SCALE = 100
RAW_INPUT_SIDE_EFFECTS = ("exploding_gradient", "dead_relu", "oscillation", "plateau",
                          "underfitting", "non_finite")


def _run(rescale, seed):
    (x, y), val = data.digits(seed, scale=16, image=True)
    x, x_val = np.minimum(x, 255).astype("uint8"), np.minimum(val[0], 255).astype("uint8")
    first = [layers.Rescaling(1 / 255)] if rescale else []
    model = keras.Sequential([
        keras.Input((8, 8, 1)), *first,
        layers.Conv2D(16, 3, padding="same", activation="relu"),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(32, 3, padding="same", activation="relu"),
        layers.Flatten(),
        layers.Dense(64, activation="relu"),
        layers.Dense(10, activation="softmax"),
    ])
    return Run(model, optimizers.SGD(LEARNING_RATE), "sparse_categorical_crossentropy", x, y,
               epochs=EPOCHS, validation_data=(x_val, val[1]))


def raw_scale_hurts(trained):
    """Largest input, and whether training failed (non-finite, or above half of chance)."""
    largest = float(np.max(trained.run.x))
    failed, note = measure.fails_to_learn()(trained)
    return largest >= RAW_SCALE and failed, f"largest input {largest:.0f}, {note}"


@scenario("cnn", expected=("unnormalized_input",), acceptable=RAW_INPUT_SIDE_EFFECTS,
          heldout=True, verify=raw_scale_hurts)
def heldout4_cnn_uint8_pixels_without_rescaling(seed):
    return _run(False, seed)


@scenario("cnn", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout4_healthy_cnn_rescaling_first(seed):
    return _run(True, seed)
