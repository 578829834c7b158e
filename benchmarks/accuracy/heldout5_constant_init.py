"""Held out (fifth split): every layer of a ReLU MLP starts from the same constant weight.

The fault. A user builds a digits classifier with three hidden `Dense(64, "relu")` layers and
passes `kernel_initializer=keras.initializers.Constant(0.05)` to every layer (biases start at
zero, the Keras default). Every unit of a layer then computes the same function of its inputs
and receives the same gradient, so the units stay identical for ever: each hidden layer acts as
one unit, the net squeezes the 64 pixels through a one-number bottleneck and underfits. The run
must show, at the end, the units of every hidden layer still identical (outputs spread across
units below 1e-4 of their size on every measured row), and a training loss above half of chance.

Expected: `suspicious_config` (the cause is the setup: a constant initializer gives every unit
the same weights) or `saddle_point` (the symmetric weights sit on a saddle of the loss: splitting
two units of a layer apart against the ten outputs lowers it, which gradient descent never does
because the symmetry is exact). Acceptable: `underfitting` (the one-number bottleneck cannot fit
ten classes), `plateau` (the loss settles at what the bottleneck allows, far above the twin's),
`dead_relu` (identical units die together: if one stops responding, the whole layer does).

The healthy twin uses `kernel_initializer="he_normal"` (the fix). It must train well.
"""

import keras
import numpy as np
from keras import optimizers

from benchmarks.accuracy import measure, models
from benchmarks.accuracy.scenario import scenario

EPOCHS = 20
LEARNING_RATE = 1e-3
WIDTH = 64
# Units whose outputs differ by less than 1e-4 of their magnitude compute one function.
IDENTICAL_SPREAD = 1e-4
SYMMETRY_SIDE_EFFECTS = ("underfitting", "plateau", "dead_relu")


def _run(kernel_initializer, seed):
    model = models.dense_stack(64, [WIDTH] * 3, "relu", kernel_initializer=kernel_initializer)
    return models.digits_run(model, optimizers.Adam(LEARNING_RATE), seed, EPOCHS)


def units_identical(trained):
    """Every hidden layer's units give the same output on every measured row (spread across
    units below `IDENTICAL_SPREAD` of the largest output)."""
    x = measure.inputs_of(trained.run.x)
    spreads = []
    for _, (_, outputs) in measure.hidden_outputs(trained.run.model, x).items():
        spread = float(np.max(outputs.max(axis=1) - outputs.min(axis=1)))
        spreads.append(spread / max(float(np.max(np.abs(outputs))), 1e-12))
    return max(spreads) < IDENTICAL_SPREAD, f"largest relative spread across units {max(spreads):.1e}"


@scenario("mlp", expected=("suspicious_config", "saddle_point"), acceptable=SYMMETRY_SIDE_EFFECTS,
          heldout=True, verify=measure.all_of(units_identical, measure.fails_to_learn()))
def heldout5_mlp_relu_constant_init_0_05(seed):
    return _run(keras.initializers.Constant(0.05), seed)


@scenario("mlp", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout5_healthy_mlp_relu_he_normal_init(seed):
    return _run("he_normal", seed)
