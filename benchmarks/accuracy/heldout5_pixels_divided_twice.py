"""Held out (fifth split): image pixels divided by 255 twice, before a small CNN.

The fault. A user's 8x8 digit images arrive as bytes, 0 to 255 (the digits scaled by 16 to mimic
them). The model starts with `layers.Rescaling(1 / 255)`, as the Keras image tutorials do, and
the loading code divides by 255.0 as well, so the first convolution sees pixels of at most
0.004 instead of at most 1. Its output is then set by its biases, not the image: Adam moves
every weight by about its learning rate per step whatever the gradient, so the biases reach the
size of the image signal within a few steps and the kernels need hundreds of times longer to
lift it. Learning crawls. The run must show the first convolution's inputs below 0.01 and a
training loss that ends above half of chance after 6 epochs (the twin is at 0.05 of chance by
then; the faulty run catches up from about epoch 10).

Expected: `unnormalized_input` (the cause as the inputs show it: pixel values a few thousandths
in size, far below the unit scale the layers and their initializers assume). Acceptable:
`vanishing_gradient` (the first kernel's gradient is proportional to its tiny inputs),
`dead_relu` (a unit whose output is its bias alone dies everywhere once its bias goes
negative), `plateau` and `underfitting` (the loss that crawls).

The healthy twin divides once, in the model's `Rescaling` layer (the fix). It must train well.
"""

import keras
import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import data, measure
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 6
LEARNING_RATE = 1e-3
# Pixels in [0, 1] as the model expects; below 0.01 they are two orders of magnitude too small.
TOO_SMALL = 0.01
SCALE_SIDE_EFFECTS = ("vanishing_gradient", "dead_relu", "plateau", "underfitting")


def _run(divide_in_loader, seed):
    (x, y), (x_val, y_val) = data.digits(seed, scale=16, image=True)
    if divide_in_loader:
        x, x_val = x / 255.0, x_val / 255.0
    model = keras.Sequential([keras.Input((8, 8, 1)), layers.Rescaling(1 / 255),
                              layers.Conv2D(16, 3, padding="same", activation="relu"),
                              layers.Conv2D(32, 3, padding="same", activation="relu"),
                              layers.Flatten(), layers.Dense(10, activation="softmax")])
    return Run(model, optimizers.Adam(LEARNING_RATE), "sparse_categorical_crossentropy", x, y,
               epochs=EPOCHS, validation_data=(x_val, y_val))


def pixels_too_small(trained):
    """The largest value the first convolution receives is below `TOO_SMALL`."""
    largest = float(np.max(trained.run.model.layers[0](trained.run.x)))
    return largest < TOO_SMALL, f"largest input of the first convolution {largest:.4f}"


@scenario("cnn", expected=("unnormalized_input",), acceptable=SCALE_SIDE_EFFECTS, heldout=True,
          verify=measure.all_of(pixels_too_small, measure.fails_to_learn()))
def heldout5_cnn_pixels_divided_by_255_twice(seed):
    return _run(True, seed)


@scenario("cnn", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout5_healthy_cnn_pixels_divided_by_255_once(seed):
    return _run(False, seed)
