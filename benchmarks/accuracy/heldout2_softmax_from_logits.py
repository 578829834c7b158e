"""Held out (second split): a softmax output under a loss told it receives logits (mixed precision).

The fault. A user's CNN on the digit images ends with `Dense(10, activation="softmax")`, and the
loss, copied from a tutorial, is `SparseCategoricalCrossentropy(from_logits=True)`. The model
runs under the `mixed_float16` policy (set per layer here, as a global policy would set it), as
on a GPU. In float32, Keras 3 recognizes a softmax output and takes its logits instead (with a
warning), so the mistake costs nothing there; under mixed precision the loss first casts the
float16 probabilities to float32, the cast hides the softmax, and the loss applies a second
softmax to the probabilities. Its inputs lie in [0, 1], so the best it can give the right class
is e / (e + 9) = 0.23, a loss floor of 1.46 against a chance loss of 2.30, and the gradient that
reaches the network passes through two softmaxes and fades as the first one grows confident. The
run must show a softmax last layer under a `from_logits=True` loss and a training loss above half
of chance.

Expected: `output_loss_mismatch`. Acceptable: `underfitting` and `plateau` (the loss stopped at
the floor), `saturation` and `vanishing_gradient` (the first softmax pinned at one class passes
little gradient).

The healthy twin compiles the same model with `from_logits=False` (the fix). It must train well.
"""

import keras
from keras import layers, optimizers

from benchmarks.accuracy import data, measure
from benchmarks.accuracy.scenario import Run, scenario

POLICY = "mixed_float16"
DOUBLE_SOFTMAX_SIDE_EFFECTS = ("underfitting", "plateau", "saturation", "vanishing_gradient")


def _cnn():
    return keras.Sequential([keras.Input((8, 8, 1)),
                             layers.Conv2D(16, 3, padding="same", activation="relu", dtype=POLICY),
                             layers.MaxPooling2D(dtype=POLICY), layers.Flatten(dtype=POLICY),
                             layers.Dense(32, activation="relu", dtype=POLICY),
                             layers.Dense(10, activation="softmax", dtype=POLICY)])


def softmax_under_logits_loss(run):
    activation = getattr(run.model.layers[-1].activation, "__name__", "")
    return activation.startswith("softmax") and bool(run.loss.get_config()["from_logits"])


@scenario("mixed_precision", expected=("output_loss_mismatch",), acceptable=DOUBLE_SOFTMAX_SIDE_EFFECTS,
          heldout=True,
          verify=measure.all_of(measure.fact(softmax_under_logits_loss, "softmax output, from_logits=True"),
                                measure.fails_to_learn()))
def heldout2_cnn_softmax_output_loss_from_logits(seed):
    (x, y), val = data.digits(seed, image=True)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    return Run(_cnn(), optimizers.Adam(2e-3), loss, x, y, epochs=6, validation_data=val,
               metrics=("accuracy",))


@scenario("mixed_precision", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout2_healthy_cnn_softmax_output_loss_on_probabilities(seed):
    (x, y), val = data.digits(seed, image=True)
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=False)
    return Run(_cnn(), optimizers.Adam(2e-3), loss, x, y, epochs=6, validation_data=val,
               metrics=("accuracy",))
