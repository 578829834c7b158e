"""Held out (eighth split): `BatchNormalization` after every hidden Dense, trained at batch size 1.

The fault. A user wants "pure SGD" and fits a digits MLP, two `Dense(64, "relu")` layers each
followed by `BatchNormalization()`, with `batch_size=1`. In training mode a batch norm layer
subtracts the batch's mean and divides by its spread; a batch of one row is its own mean, so
every feature becomes exactly 0 and the layer outputs its `beta`, the same for every image.
The gradient through `x - mean(x)` of a single row is exactly zero, so no layer below a batch
norm layer receives any gradient: the first Dense, the first batch norm and the second Dense
never change, and the head only learns the class prior from the constant it is given. (At
inference the moving variance, fed one row at a time, has decayed towards 0, so validation
images are blown up by 1/sqrt(epsilon) and the validation loss sits far above the training
loss.) The run must show, at the end, a first-layer kernel gradient that is exactly zero on
single rows while the head's is not, and a training loss above half of chance.

Expected: `zero_gradient` (the layers below a batch norm layer get a gradient of exactly zero).
Acceptable:
- `underfitting`: the model can only learn the class prior, its loss stays near chance;
- `plateau`: with nothing below the head learning, the loss stalls at the prior's;
- `suspicious_config`: the cause is a setup value, a batch of one under batch normalization;
- `vanishing_gradient`: a detector that sees the lower layers' gradients only as tiny calls it so;
- `overfitting`: the collapsed moving variance puts the validation loss far above the training
  loss, a gap that looks like poor generalization.

The healthy twin uses `batch_size=32` with the same epochs (the fix). It must train well.
"""

import keras
import numpy as np
import tensorflow as tf
from keras import layers, optimizers

from benchmarks.accuracy import data, heldout8_parts, measure
from benchmarks.accuracy.scenario import Run, scenario

N_TRAIN = 400
EPOCHS = 16
# Rows whose single-row gradient is measured.
PROBE_ROWS = 8
BATCH_ONE_SIDE_EFFECTS = ("underfitting", "plateau", "suspicious_config", "vanishing_gradient",
                          "overfitting")


def _run(batch_size, seed):
    (x, y), val = data.digits(seed, n_train=N_TRAIN)
    model = keras.Sequential([keras.Input((64,)),
                              layers.Dense(64, activation="relu"), layers.BatchNormalization(),
                              layers.Dense(64, activation="relu"), layers.BatchNormalization(),
                              layers.Dense(10, activation="softmax")])
    return Run(model, optimizers.SGD(learning_rate=0.01, momentum=0.9),
               "sparse_categorical_crossentropy", x, y, epochs=EPOCHS, batch_size=batch_size,
               validation_data=val)


def single_row_gradient_is_zero(trained):
    """On each of `PROBE_ROWS` single rows (training mode), the first kernel's gradient is exactly
    zero and the head's kernel gradient is not."""
    model, run = trained.run.model, trained.run
    first, head = model.layers[0].kernel, model.layers[-1].kernel
    zero, alive = True, False
    for row in range(PROBE_ROWS):
        with tf.GradientTape() as tape:
            value = measure.loss_function(run)(run.y[row:row + 1], model(run.x[row:row + 1], training=True))
        g_first, g_head = tape.gradient(value, [first, head])
        zero = zero and not np.any(np.asarray(g_first))
        alive = alive or bool(np.any(np.asarray(g_head)))
    return zero and alive, f"first kernel gradient exactly zero on single rows: {zero}; head's not: {alive}"


@scenario("mlp", expected=("zero_gradient",), acceptable=BATCH_ONE_SIDE_EFFECTS, heldout=True,
          verify=measure.all_of(single_row_gradient_is_zero, measure.fails_to_learn()))
def heldout8_mlp_batchnorm_batch_size_1(seed):
    return _run(1, seed)


@scenario("mlp", heldout=True, verify=heldout8_parts.trains_and_generalizes())
def heldout8_healthy_mlp_batchnorm_batch_size_32(seed):
    return _run(32, seed)
