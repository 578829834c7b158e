"""Held out (sixth split): `kernel_constraint=MaxNorm(0.01)` on every hidden Dense layer.

The fault. A user adds `kernel_constraint=keras.constraints.MaxNorm(0.01)` to the three hidden
`Dense(64, "relu")` layers of a digits MLP, meaning the max-norm of the dropout literature (a
few units, typically 3) but writing 0.01. After every update Keras rescales each unit's incoming
weight vector to a norm of at most 0.01. A unit's output is then at most 0.01 times its input
vector's norm: each hidden layer shrinks the signal by a factor of ten or more, the head sees
activations near zero, and the backward signal shrinks the same way. The weights cannot grow to
a useful size whatever the data says, and the model stays near the class prior. The run must
show, at the end, every hidden unit's kernel norm at most 0.01 (up to float rounding), and a
training loss above half of chance.

Expected: `underfitting` (the constraint is a regularization so strong that the model cannot
fit its training data).
Acceptable:
- `suspicious_config`: the cause is a setup value, a max-norm hundreds of times below the usual;
- `vanishing_gradient`: each constrained layer shrinks the backward signal too;
- `plateau`: the loss settles near the class prior.

The healthy twin has no constraint (the fix). It must train well.
"""

import keras
import numpy as np
from keras import optimizers

from benchmarks.accuracy import data, measure, models
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 12
LEARNING_RATE = 1e-3
WIDTHS = (64, 64, 64)
MAX_NORM = 0.01
# Float rounding of the rescaling.
ROUNDING = 1e-5
CONSTRAINT_SIDE_EFFECTS = ("suspicious_config", "vanishing_gradient", "plateau")


def _run(constraint, seed):
    (x, y), val = data.digits(seed)
    model = models.dense_stack(64, WIDTHS, "relu", hidden_kwargs={"kernel_constraint": constraint})
    return Run(model, optimizers.Adam(LEARNING_RATE), "sparse_categorical_crossentropy", x, y,
               epochs=EPOCHS, validation_data=val)


def kernels_held_small(trained):
    """The largest unit kernel norm of the hidden layers, at the end."""
    hidden = trained.run.model.layers[:-1]
    largest = max(float(np.max(np.linalg.norm(np.asarray(layer.kernel), axis=0)))
                  for layer in hidden)
    return largest <= MAX_NORM * (1 + ROUNDING), f"largest hidden unit kernel norm {largest:.2e}"


@scenario("mlp", expected=("underfitting",), acceptable=CONSTRAINT_SIDE_EFFECTS, heldout=True,
          verify=measure.all_of(kernels_held_small, measure.fails_to_learn()))
def heldout6_mlp_max_norm_constraint_0_01(seed):
    return _run(keras.constraints.MaxNorm(MAX_NORM), seed)


@scenario("mlp", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout6_healthy_mlp_no_kernel_constraint(seed):
    return _run(None, seed)
