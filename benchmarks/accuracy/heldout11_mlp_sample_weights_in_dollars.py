"""Held out (eleventh split): sample weights in dollars, thousands each.

The fault. A user predicts which customers leave (a tabular binary task, 10 standardized
features) with two `Dense(32, "relu")` layers and `Dense(1, "sigmoid")`, SGD(0.05), binary
cross-entropy, 30 epochs, and weights each customer by their yearly revenue so that valuable
customers count more: the weights are the revenue in dollars, about 2,000 on average (drawn
log-normal). (The benchmark's `Run` has no `sample_weight`; the run feeds `fit` a `tf.data`
pipeline of `(x, y, sample_weight)` batches of 32, which `fit` weights the same way.) Keras
multiplies each sample's loss by its weight and averages, so the loss and every gradient are
about 2,000 times what they would be: to SGD that is a learning rate of about 100. The first
steps throw the weights far out, and the model ends no better than a coin. The run must show
a first layer whose kernel ends at least 10 times larger (in norm) than it started and a
validation accuracy below 0.65 (chance is 0.5).

Expected: `exploding_gradient` (the gradients are thousands of times their normal size).
Acceptable:
- `non_finite`: the loss may overflow;
- `oscillation`: the loss jumps between epochs;
- `dead_relu`, `saturation`, `underfitting`, `plateau`: what the oversized steps leave behind;
- `suspicious_config`: the cause is in how the run is set up.

The healthy twin divides the weights by their mean (the fix: the same relative weights, mean
1). It must fit the validation labels and generalize.
"""

import numpy as np
import tensorflow as tf
from keras import optimizers

from benchmarks.accuracy import heldout8_parts, heldout11_parts, measure, models
from benchmarks.accuracy.scenario import Run, scenario

BATCH = 32
MEAN_REVENUE = 2000.0
KERNEL_GROWTH = 10.0
POOR_ACCURACY = 0.65
DOLLAR_WEIGHT_SIDE_EFFECTS = ("non_finite", "oscillation", "dead_relu", "saturation", "underfitting", "plateau",
                              "suspicious_config")


def revenues(seed, n):
    """`n` yearly revenues in dollars, log-normal around `MEAN_REVENUE`, float32."""
    return np.random.default_rng(seed + 500).lognormal(np.log(MEAN_REVENUE), 0.5, n).astype("float32")


def _run(normalized, seed):
    (x, y), (x_val, y_val) = heldout8_parts.tabular_binary(seed)
    weights = revenues(seed, len(y))
    if normalized:
        weights = weights / weights.mean()
    columns = (x, y.astype("float32")[:, None], weights)
    dataset = tf.data.Dataset.from_tensor_slices(columns).shuffle(len(x), seed=seed).batch(BATCH)
    model = models.dense_stack(x.shape[1], [32, 32], "relu", output_units=1, output_activation="sigmoid")
    return Run(model, optimizers.SGD(0.05), "binary_crossentropy", dataset, None, epochs=30, batch_size=None,
               validation_data=(x_val, y_val.astype("float32")), metrics=("accuracy",))


def first_kernel_thrown_out(trained):
    """The first layer's kernel norm ends at least `KERNEL_GROWTH` times its initial norm."""
    final, initial = (np.linalg.norm(np.asarray(kernel, dtype="float64"))
                      for kernel in (trained.run.model.get_weights()[0], trained.initial_weights[0]))
    growth = final / initial
    return growth >= KERNEL_GROWTH, f"first kernel norm x{growth:.1f}"


@scenario("mlp", expected=("exploding_gradient",), acceptable=DOLLAR_WEIGHT_SIDE_EFFECTS, heldout=True,
          verify=measure.all_of(first_kernel_thrown_out, heldout11_parts.less_accurate_than(POOR_ACCURACY)))
def heldout11_mlp_sample_weights_revenue_in_dollars(seed):
    return _run(False, seed)


@scenario("mlp", heldout=True,
          verify=measure.all_of(heldout8_parts.fits_validation_labels(), measure.generalizes()))
def heldout11_healthy_mlp_sample_weights_revenue_over_its_mean(seed):
    return _run(True, seed)
