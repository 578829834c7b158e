"""Held out (ninth split): a siamese "same digit?" model fed the same image on both inputs.

The fault. A user builds a siamese model on pairs of 8x8 digits: one shared encoder
(`Dense(64, "relu")`, `Dense(32, "relu")`) applied to both inputs, the absolute difference of
the two codes, and `Dense(1, "sigmoid")` for "same digit", trained with binary cross-entropy
and Adam(1e-3) on pairs that are half same-class, half different. Their pair builder returns
`[a, a]` instead of `[a, b]` (a copy-paste slip in the function that builds both the training
and the validation pairs), so the two inputs are always the same image. The codes are then
equal, their difference is exactly zero, and so is the gradient of every encoder weight and of
the head's kernel: only the head's bias learns, and it learns the base rate. Training and
validation losses sit at chance (log 2) for the whole run. The run must show both inputs equal,
the encoder's kernel gradients exactly zero at the end, and a final training loss above 0.95 of
chance.

Expected: `underfitting` (the model learns nothing beyond the base rate).
Acceptable:
- `zero_gradient`: every weight but the head's bias gets an exactly zero gradient;
- `plateau`: the loss reaches chance in the first steps and stays there.

The healthy twin passes `[a, b]` (the fix). It must train well and generalize.
"""

import keras
import numpy as np
import tensorflow as tf
from keras import layers, optimizers

from benchmarks.accuracy import heldout9_parts, measure
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 20
NEAR_CHANCE = 0.95
SAME_INPUT_SIDE_EFFECTS = ("zero_gradient", "plateau")


def _siamese():
    encoder = keras.Sequential([keras.Input((64,)), layers.Dense(64, activation="relu"),
                                layers.Dense(32, activation="relu")], name="encoder")
    first, second = keras.Input((64,), name="first"), keras.Input((64,), name="second")
    distance = keras.ops.abs(layers.Subtract()([encoder(first), encoder(second)]))
    return keras.Model([first, second], layers.Dense(1, activation="sigmoid")(distance))


def _run(same_twice, seed):
    (a, b, same), (a_val, b_val, same_val) = heldout9_parts.digit_pairs(seed)
    if same_twice:
        b, b_val = a, a_val
    return Run(_siamese(), optimizers.Adam(1e-3), "binary_crossentropy", [a, b], same,
               epochs=EPOCHS, validation_data=([a_val, b_val], same_val), metrics=("accuracy",))


def encoder_cut_off(trained):
    """Both inputs are the same array, every encoder kernel's gradient is exactly 0, and the
    final training loss is above `NEAR_CHANCE` of chance."""
    run = trained.run
    x, y = measure.inputs_of(run.x), measure.inputs_of(run.y)
    kernels = [w for w in run.model.get_layer("encoder").trainable_weights if len(w.shape) == 2]
    with tf.GradientTape() as tape:
        loss = measure.loss_function(run)(y, run.model(x, training=True))
    largest = max(float(tf.reduce_max(tf.abs(g))) for g in tape.gradient(loss, kernels))
    ratio = trained.history["loss"][-1] / measure.chance_loss(run)
    equal = np.array_equal(run.x[0], run.x[1])
    return equal and largest == 0.0 and ratio > NEAR_CHANCE, \
        f"inputs equal {equal}; largest encoder kernel gradient {largest:.1e}; final loss / chance {ratio:.2f}"


@scenario("two_input", expected=("underfitting",), acceptable=SAME_INPUT_SIDE_EFFECTS, heldout=True,
          verify=encoder_cut_off)
def heldout9_two_input_siamese_same_image_on_both_inputs(seed):
    return _run(True, seed)


@scenario("two_input", heldout=True,
          verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout9_healthy_two_input_siamese_image_pairs(seed):
    return _run(False, seed)
