"""Held out (eighth split): an engineered ratio feature `a / b` with `b == 0` in about 1% of rows.

The fault. A user adds a ratio feature to a tabular binary classifier (`make_classification`,
ten standardized features, an MLP with two `Dense(32, "relu")` layers and a sigmoid unit):
`a / b`, where `a` is one of the features and `b` a count that is 0 in about 1% of the rows
(Poisson with mean 4.6; `exp(-4.6)` is 1%). NumPy gives +-inf for those rows (with a warning
the user ignores). A Dense layer multiplies the inf by weights of both signs and adds them up,
inf - inf is NaN, and the first batch that holds such a row turns the gradients, and with them
the first layers' weights and every prediction, into NaN. (How the NaN reaches the logged loss
depends on the CPU kernels: with oneDNN, TensorFlow's default on x86, the training step's ReLU
turns NaN into 0, so the logged loss settles at log 2 while every prediction is NaN; with
`TF_ENABLE_ONEDNN_OPTS=0` the loss itself is NaN from the first epoch; measured at seeds 0-2.)
The run must show an input that is not finite and a training loss or weight that becomes NaN
or inf.

Expected: `non_finite` (inf in the inputs makes the loss and the weights NaN).
Acceptable:
- `unnormalized_input`: an input column holds inf, a scale no layer can take.

The healthy twin computes the ratio with a guard, `np.where(b == 0, 0, a / b)` (the fix). It
must train well.
"""

import numpy as np
from keras import optimizers

from benchmarks.accuracy import heldout8_parts, measure, models
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 30
# Poisson mean whose zero count is exp(-4.6), about 1% of the rows.
COUNT_MEAN = 4.6
INF_INPUT_SIDE_EFFECTS = ("unnormalized_input",)


def with_ratio(x, seed, guarded):
    """`x` with one more column: feature 0 divided by a Poisson count that is 0 in ~1% of rows
    (0 there when `guarded`, else +-inf)."""
    count = np.random.default_rng(seed).poisson(COUNT_MEAN, len(x)).astype("float32")
    with np.errstate(divide="ignore"):
        ratio = x[:, 0] / count
    if guarded:
        ratio = np.where(count == 0, 0, ratio)
    return np.column_stack([x, ratio]).astype("float32")


def _run(guarded, seed):
    (x, y), (x_val, y_val) = heldout8_parts.tabular_binary(seed)
    x, x_val = with_ratio(x, seed, guarded), with_ratio(x_val, seed + 1, guarded)
    model = models.dense_stack(x.shape[1], [32, 32], "relu", output_units=1, output_activation="sigmoid")
    return Run(model, optimizers.Adam(1e-3), "binary_crossentropy", x, y, epochs=EPOCHS,
               validation_data=(x_val, y_val), metrics=("accuracy",))


@scenario("mlp", expected=("non_finite",), acceptable=INF_INPUT_SIDE_EFFECTS, heldout=True,
          verify=measure.all_of(measure.fact(lambda run: not np.all(np.isfinite(run.x)),
                                             "an input is not finite"),
                                measure.becomes_non_finite()))
def heldout8_mlp_ratio_feature_division_by_zero(seed):
    return _run(False, seed)


@scenario("mlp", heldout=True, verify=heldout8_parts.trains_and_generalizes())
def heldout8_healthy_mlp_ratio_feature_guarded(seed):
    return _run(True, seed)
