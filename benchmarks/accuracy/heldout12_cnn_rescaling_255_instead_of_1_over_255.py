"""Held out (twelfth split): `Rescaling(255.)` where `Rescaling(1 / 255)` was meant.

The fault. A user's digits arrive as 8-bit images (pixel values 0-255) and their small CNN
(`Conv2D(16)`, `MaxPooling2D`, `Conv2D(32)`, a softmax head, Adam(1e-3), 10 epochs) starts with
a `Rescaling` layer, as the Keras image tutorials do; they typed `Rescaling(255.)` for
`Rescaling(1. / 255)`. Instead of bringing the pixels into [0, 1] the layer multiplies them by
255, so the first convolution sees values up to 65,025: its outputs, the logits and the
gradients of the first kernels are tens of thousands of times their usual size. Adam's
normalized steps keep the run from blowing up, but the logits are so large that every wrong
prediction costs hundreds of nats: the first epoch's loss is in the hundreds or thousands, and
the validation loss ends far above chance even where the accuracy is decent. The run must show the Rescaling
layer's outputs reaching above 10,000 on the training images and a final validation loss
above 5 times the chance loss (a digits CNN ends far below chance).

Expected: `unnormalized_input` (the values the network computes on are on a scale of
thousands).
Acceptable:
- `exploding_gradient`: the first kernels' gradients scale with inputs of tens of thousands;
- `overfitting`: the validation loss sits far above the training loss and grows while the
  training loss falls (a few confident mistakes cost hundreds each);
- `oscillation`: the huge loss jumps from epoch to epoch instead of descending.

The healthy twin uses `Rescaling(1. / 255)` (the fix). It must reach 0.9 validation accuracy and
generalize.
"""

import keras
import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import data, heldout11_parts, measure
from benchmarks.accuracy.scenario import Run, scenario

BLOWN_UP = 1e4
VAL_LOSS_OVER_CHANCE = 5.0
LARGE_INPUT_SIDE_EFFECTS = ("exploding_gradient", "overfitting", "oscillation")


def byte_images(seed):
    """The digits as 8x8x1 images of 0-255 pixel values (the 0-16 levels times 16, 256 kept at
    255). Returns `(x, y), (x_val, y_val)`."""
    (x, y), (x_val, y_val) = data.digits(seed, scale=16, image=True)
    return (np.minimum(x, 255), y), (np.minimum(x_val, 255), y_val)


def _run(scale, seed):
    (x, y), val = byte_images(seed)
    model = keras.Sequential([keras.Input((8, 8, 1)), layers.Rescaling(scale),
                              layers.Conv2D(16, 3, padding="same", activation="relu"),
                              layers.MaxPooling2D(),
                              layers.Conv2D(32, 3, padding="same", activation="relu"),
                              layers.Flatten(), layers.Dense(10, activation="softmax")])
    return Run(model, optimizers.Adam(1e-3), "sparse_categorical_crossentropy", x, y, epochs=10,
               validation_data=val, metrics=("accuracy",))


def inputs_blown_up(trained):
    """The Rescaling layer's largest output on the training images is above `BLOWN_UP`, and the
    final validation loss is above `VAL_LOSS_OVER_CHANCE` times the chance loss."""
    run = trained.run
    rescaled = np.asarray(run.model.layers[0](run.x))
    largest = float(rescaled.max())
    ratio = trained.history["val_loss"][-1] / measure.chance_loss(run)
    return largest > BLOWN_UP and ratio > VAL_LOSS_OVER_CHANCE, \
        f"largest rescaled pixel {largest:.0f}, final val loss / chance {ratio:.1f}"


@scenario("cnn", expected=("unnormalized_input",), acceptable=LARGE_INPUT_SIDE_EFFECTS, heldout=True,
          verify=inputs_blown_up)
def heldout12_cnn_rescaling_255_instead_of_1_over_255(seed):
    return _run(255.0, seed)


@scenario("cnn", heldout=True, verify=heldout11_parts.accurate_and_generalizes())
def heldout12_healthy_cnn_rescaling_1_over_255(seed):
    return _run(1.0 / 255, seed)
