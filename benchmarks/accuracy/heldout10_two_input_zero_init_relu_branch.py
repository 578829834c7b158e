"""Held out (tenth split): one branch of a two-input model with zero kernels under ReLU.

The fault. A user classifies digits from their top and bottom halves with a two-input model:
a `Dense(32, "relu")` branch per half, concatenated, and `Dense(10, "softmax")`, Adam(1e-3).
Writing the bottom branch, they pass `kernel_initializer="zeros"` (meant for the bias). With a
zero kernel and a zero bias every pre-activation of that branch is exactly 0, ReLU gives 0, and
ReLU's derivative at 0 is 0: the branch's kernel and bias get exactly zero gradients, the head's
weights reading it get zero inputs, and the branch stays zero for the whole run. The model
learns from the top half alone, and half of each image is thrown away. The run must show the
bottom branch's kernel still exactly zero after training and its 32 units 0 on every
measured sample.

Expected: `dead_relu` (a whole layer of ReLU units outputs 0 on every input and never recovers).
Acceptable:
- `zero_gradient`: the branch's weights get exactly zero gradients (not the whole model's);
- `suspicious_config`: the cause is a setting, a zero kernel initializer;
- `underfitting`: the model ends worse than one that sees both halves.

The healthy twin leaves the bottom branch's kernel at Keras' default, Glorot uniform (the fix).
It must train well and generalize.
"""

import keras
import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import data, heldout8_parts, measure
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 15
ZERO_BRANCH_SIDE_EFFECTS = ("zero_gradient", "suspicious_config", "underfitting")


def _model(bottom_kernel):
    top, bottom = keras.Input((32,), name="top"), keras.Input((32,), name="bottom")
    top_code = layers.Dense(32, activation="relu", name="top_branch")(top)
    bottom_code = layers.Dense(32, activation="relu", kernel_initializer=bottom_kernel,
                               name="bottom_branch")(bottom)
    outputs = layers.Dense(10, activation="softmax")(layers.Concatenate()([top_code, bottom_code]))
    return keras.Model([top, bottom], outputs)


def _run(bottom_kernel, seed):
    (x, y), val = data.digit_halves(seed)
    return Run(_model(bottom_kernel), optimizers.Adam(1e-3), "sparse_categorical_crossentropy", x, y,
               epochs=EPOCHS, validation_data=val, metrics=("accuracy",))


def bottom_branch_stays_off(trained):
    """The bottom branch's kernel is exactly zero after `fit` and its units output 0 on every
    measured sample."""
    model = trained.run.model
    branch = model.get_layer("bottom_branch")
    kernel_zero = not np.any(branch.get_weights()[0])
    codes = np.asarray(branch(measure.inputs_of(trained.run.x)[1]))
    return kernel_zero and not np.any(codes), \
        f"bottom kernel all zero {kernel_zero}; largest bottom unit output {codes.max():.3g}"


@scenario("two_input", expected=("dead_relu",), acceptable=ZERO_BRANCH_SIDE_EFFECTS, heldout=True,
          verify=bottom_branch_stays_off)
def heldout10_two_input_bottom_branch_zero_kernel_relu(seed):
    return _run("zeros", seed)


@scenario("two_input", heldout=True, verify=heldout8_parts.trains_and_generalizes())
def heldout10_healthy_two_input_bottom_branch_glorot_kernel_relu(seed):
    return _run("glorot_uniform", seed)
