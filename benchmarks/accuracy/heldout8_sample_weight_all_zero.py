"""Held out (eighth split): `sample_weight=(y == 10)`, a mask that is zero for every sample.

The fault. A user means to weight one class of a digits MLP (two `Dense(64, "relu")` layers)
and writes `sample_weight=(y == 10).astype("float32")`; no digit is labelled 10, so every
weight is 0. (The benchmark's `Run` has no `sample_weight`; the run feeds `fit` a `tf.data`
pipeline of `(x, y, sample_weight)` batches of 32, which `fit` weights the same way.) Keras
multiplies each sample's loss by its weight and divides by the batch size, so the training loss
is exactly 0 at every step, its gradient is exactly 0, Adam's moments stay 0 and no weight
ever changes; the validation loss (unweighted) stays at the initial model's. The run must show
every weight of the pipeline equal to 0, a training loss of exactly 0 at every epoch, and final
weights equal to the initial ones.

Expected: `zero_gradient` (every gradient is exactly zero: the loss does not depend on the
weights).
Acceptable:
- `underfitting`: the model never learns, its validation loss stays at chance;
- `plateau`: the losses do not move at all;
- `suspicious_config`: the cause is a setup value, sample weights that are all zero;
- `label_mismatch`: the mask names a class (10) that no label holds.

The healthy twin feeds the same pipeline without the weights (the fix). It must train well.
"""

import numpy as np
import tensorflow as tf
from keras import optimizers

from benchmarks.accuracy import data, heldout8_parts, measure, models
from benchmarks.accuracy.scenario import Run, scenario

BATCH = 32
EPOCHS = 10
ZERO_WEIGHT_SIDE_EFFECTS = ("underfitting", "plateau", "suspicious_config", "label_mismatch")


def _run(weighted, seed):
    (x, y), val = data.digits(seed)
    columns = (x, y, (y == 10).astype("float32")) if weighted else (x, y)
    dataset = tf.data.Dataset.from_tensor_slices(columns).shuffle(len(x), seed=seed).batch(BATCH)
    model = models.dense_stack(64, [64, 64], "relu")
    return Run(model, optimizers.Adam(1e-3), "sparse_categorical_crossentropy", dataset, None,
               epochs=EPOCHS, batch_size=None, validation_data=val)


def nothing_learned(trained):
    """Every sample weight is 0, the training loss is exactly 0 at every epoch, and the weights
    end where they started."""
    weights = np.concatenate([np.asarray(batch[2]) for batch in trained.run.x])
    losses = np.asarray(trained.history["loss"])
    unchanged = measure.weights_equal(trained.run.model.get_weights(), trained.initial_weights)
    return not np.any(weights) and not np.any(losses) and unchanged, \
        f"nonzero weights {np.count_nonzero(weights)}, largest loss {losses.max():.3g}, " \
        f"weights unchanged {unchanged}"


@scenario("mlp", expected=("zero_gradient",), acceptable=ZERO_WEIGHT_SIDE_EFFECTS, heldout=True,
          verify=nothing_learned)
def heldout8_mlp_sample_weight_mask_all_zero(seed):
    return _run(True, seed)


@scenario("mlp", heldout=True,
          verify=measure.all_of(heldout8_parts.fits_validation_labels(), measure.generalizes()))
def heldout8_healthy_mlp_no_sample_weight(seed):
    return _run(False, seed)
