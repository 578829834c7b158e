"""Held out (seventh split): `kernel_regularizer=L1(1.0)` on every hidden Dense layer.

The fault. A user adds `kernel_regularizer=keras.regularizers.L1(1.0)` to the three hidden
`Dense(64, "relu")` layers of a digits MLP, meaning a "small" penalty but writing 1.0 (typical
values are 1e-5 to 1e-3). The penalty adds the sum of the absolute kernel weights to the loss:
about 1,300 at the initial weights (Glorot: three kernels of 4,096 weights of mean size
0.11), five hundred times the cross-entropy. Its gradient (the sign of every weight) swamps the data's,
and Adam drives every kernel weight to zero, where it jitters. The hidden units then output
their bias only, the same for every image, and the model falls back to the class prior. The
run must show, at the end, a mean absolute hidden kernel weight below 1e-2 and a training loss
above half of chance.

Expected: `underfitting` (a penalty so strong that the model cannot fit its training data).
Acceptable:
- `suspicious_config`: the cause is a setup value, an L1 factor a thousand times the usual;
- `dead_relu`: units whose kernel is zero output a constant (0 where the bias went negative);
- `vanishing_gradient`: near-zero kernels pass almost no backward signal to the layers below;
- `plateau`: the loss settles at the prior plus the penalty's jitter.

The healthy twin uses `L1(1e-5)` (the fix). It must train well.
"""

import numpy as np
from keras import optimizers, regularizers

from benchmarks.accuracy import data, measure, models
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 12
LEARNING_RATE = 1e-3
WIDTHS = (64, 64, 64)
# A Glorot-initialized 64x64 kernel has mean absolute weight about 0.11; 1e-2 is a kernel
# driven to (near) zero.
ZERO_KERNEL = 1e-2
STRONG_PENALTY_SIDE_EFFECTS = ("suspicious_config", "dead_relu", "vanishing_gradient", "plateau")


def _run(factor, seed):
    (x, y), val = data.digits(seed)
    model = models.dense_stack(64, WIDTHS, "relu",
                               hidden_kwargs={"kernel_regularizer": regularizers.L1(factor)})
    return Run(model, optimizers.Adam(LEARNING_RATE), "sparse_categorical_crossentropy", x, y,
               epochs=EPOCHS, validation_data=val)


def kernels_driven_to_zero(trained):
    """The mean absolute kernel weight of the hidden layers is below `ZERO_KERNEL`."""
    hidden = trained.run.model.layers[:-1]
    mean = float(np.mean([np.mean(np.abs(np.asarray(layer.kernel))) for layer in hidden]))
    return mean < ZERO_KERNEL, f"mean absolute hidden kernel weight {mean:.1e}"


@scenario("mlp", expected=("underfitting",), acceptable=STRONG_PENALTY_SIDE_EFFECTS,
          heldout=True, verify=measure.all_of(kernels_driven_to_zero, measure.fails_to_learn()))
def heldout7_mlp_l1_kernel_regularizer_1_0(seed):
    return _run(1.0, seed)


@scenario("mlp", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout7_healthy_mlp_l1_kernel_regularizer_1e_5(seed):
    return _run(1e-5, seed)
