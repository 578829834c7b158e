"""Held out (eleventh split): an MLP whose LeakyReLU layers have `negative_slope=1.0`.

The fault. A user separates two noisy concentric circles (2-D points, `make_circles`) with three
`Dense(32)` layers, each followed by `LeakyReLU(negative_slope=1.0)`, and a `Dense(2, "softmax")`
head, Adam(3e-3), 30 epochs. The slope was copied from the top of a hyperparameter grid; with a
slope of 1 a LeakyReLU returns its input unchanged on both sides, so the "deep" network is one
affine map followed by a softmax: a linear classifier. No line separates a ring from the disc
inside it, and the model stays at chance. The run must show that the hidden stack is affine
(its output at the midpoint of two inputs is the midpoint of its outputs, to 1e-3) and a
validation accuracy below 0.65 (chance is 0.5; the twin reaches above 0.9).

Expected: `underfitting` (the model cannot fit the training labels).
Acceptable:
- `plateau`: the loss stays at log(2) from the first epoch.

The healthy twin uses `negative_slope=0.2` (the fix: a slope below 1). It must reach 0.9
validation accuracy and generalize.
"""

import keras
import numpy as np
from keras import layers, optimizers
from sklearn import datasets

from benchmarks.accuracy import data, heldout11_parts, measure
from benchmarks.accuracy.scenario import Run, scenario

POOR_ACCURACY = 0.65
AFFINE_TOLERANCE = 1e-3
LINEAR_STACK_SIDE_EFFECTS = ("plateau",)


def circles(seed, n_samples=2000):
    """Two concentric noisy circles (inner radius half the outer), split by `seed`. Returns
    `(x, y), (x_val, y_val)`, x float32 of shape `(n, 2)`, y int64 in {0, 1}."""
    x, y = datasets.make_circles(n_samples, noise=0.08, factor=0.5, random_state=seed)
    return data.split(x.astype("float32"), y.astype("int64"), seed)


def _run(negative_slope, seed):
    (x, y), val = circles(seed)
    hidden = []
    for _ in range(3):
        hidden += [layers.Dense(32), layers.LeakyReLU(negative_slope=negative_slope)]
    model = keras.Sequential([keras.Input((2,)), *hidden, layers.Dense(2, activation="softmax")])
    return Run(model, optimizers.Adam(3e-3), "sparse_categorical_crossentropy", x, y, epochs=30,
               validation_data=val, metrics=("accuracy",))


def hidden_stack_affine(trained):
    """The hidden stack (every layer before the head) maps the midpoint of two validation rows to
    the midpoint of their outputs, within `AFFINE_TOLERANCE` of the outputs' spread."""
    model = trained.run.model
    hidden = keras.Sequential(model.layers[:-1])
    x_val = trained.run.validation_data[0][:512]
    first, second = x_val[: len(x_val) // 2], x_val[len(x_val) // 2: 2 * (len(x_val) // 2)]
    outputs = [np.asarray(hidden(part)) for part in (first, second, (first + second) / 2)]
    error = np.max(np.abs(outputs[2] - (outputs[0] + outputs[1]) / 2)) / (np.std(outputs[0]) + 1e-12)
    return error < AFFINE_TOLERANCE, f"midpoint error / spread {error:.1e}"


@scenario("mlp", expected=("underfitting",), acceptable=LINEAR_STACK_SIDE_EFFECTS, heldout=True,
          verify=measure.all_of(hidden_stack_affine, heldout11_parts.less_accurate_than(POOR_ACCURACY)))
def heldout11_mlp_leaky_relu_negative_slope_1_on_circles(seed):
    return _run(1.0, seed)


@scenario("mlp", heldout=True, verify=heldout11_parts.accurate_and_generalizes())
def heldout11_healthy_mlp_leaky_relu_negative_slope_0_2_on_circles(seed):
    return _run(0.2, seed)
