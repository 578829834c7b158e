"""Held out (seventh split): a dense autoencoder on digits with a bottleneck of one unit.

The fault. A user builds a dense autoencoder for the 8x8 digits (pixels scaled to [0, 1]):
64 -> `Dense(32, "relu")` -> bottleneck -> `Dense(32, "relu")` -> `Dense(64, "sigmoid")`,
trained with mean squared error to reproduce its input, and sets the bottleneck to ONE unit.
One number per image cannot describe the digits' shapes (ten classes and their styles need
about a dozen directions to reach most of the pixel variance): the decoder can only draw a
one-parameter family of blurred mean digits, and the reconstruction error stays high however
long it trains. The run must show a final training loss above half of the per-pixel variance
(the error of always drawing the mean image).

Expected: `underfitting` (too little capacity: the model cannot fit its training data).
Acceptable:
- `plateau`: the loss stops falling early, at the one-unit model's floor;
- `dead_relu`: with one linear unit feeding it, the decoder's relu units can switch off.

The healthy twin uses a bottleneck of 16 units (the fix). It must train well: a final training
loss below half of the per-pixel variance.
"""

import keras
import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import data, measure
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 30
LEARNING_RATE = 1e-3
PIXELS = 64
HIDDEN = 32
# A reconstruction whose error is above half the mean image's error is a poor one.
POOR_SHARE = 0.5
LOW_CAPACITY_SIDE_EFFECTS = ("plateau", "dead_relu")


def _run(bottleneck, seed):
    (x, _), (x_val, _) = data.digits(seed)
    model = keras.Sequential([keras.Input((PIXELS,)), layers.Dense(HIDDEN, activation="relu"),
                              layers.Dense(bottleneck),
                              layers.Dense(HIDDEN, activation="relu"),
                              layers.Dense(PIXELS, activation="sigmoid")])
    return Run(model, optimizers.Adam(LEARNING_RATE), "mse", x, x, epochs=EPOCHS,
               validation_data=(x_val, x_val))


def error_share(trained):
    """The final training loss over the mean per-pixel variance (the mean image's error)."""
    mean_image_error = float(np.mean(np.var(np.asarray(trained.run.y), axis=0)))
    return trained.history["loss"][-1] / mean_image_error


def reconstructs_poorly(trained):
    share = error_share(trained)
    return share > POOR_SHARE, f"final loss / mean image's error {share:.2f}"


def reconstructs_well(trained):
    share = error_share(trained)
    return share < POOR_SHARE, f"final loss / mean image's error {share:.2f}"


@scenario("mlp", expected=("underfitting",), acceptable=LOW_CAPACITY_SIDE_EFFECTS, heldout=True,
          verify=reconstructs_poorly)
def heldout7_mlp_autoencoder_bottleneck_one_unit(seed):
    return _run(1, seed)


@scenario("mlp", heldout=True, verify=measure.all_of(reconstructs_well, measure.generalizes()))
def heldout7_healthy_mlp_autoencoder_bottleneck_16_units(seed):
    return _run(16, seed)
