"""Held out (third split): every hidden kernel of a tanh MLP initialized to zero.

The fault. A user sets `kernel_initializer="zeros"` on the three hidden `Dense(32, "tanh")`
layers of a digits classifier (the output layer keeps its default). With zero kernels and zero
biases every hidden unit outputs tanh(0) = 0 on every image. A kernel's gradient is its layer's
input times the error sent back to it: the first two layers get their error through a zero
kernel above them, and the last two layers' inputs are zero, so every hidden kernel's gradient
is exactly zero, and stays so: only the top hidden bias and the output layer move, and a model
whose hidden layers output a constant can only learn the class prior. The point is a saddle:
the loss is bilinear in two consecutive zero kernels, so the Hessian has a negative direction
that breaking the symmetry would follow. The run must show, at the end, every hidden kernel
still exactly zero with an exactly zero gradient, a training loss within 5% of chance, and a
negative smallest Hessian eigenvalue (`measure.hessian_extremes`, at the final weights).

Expected: `saddle_point` (the cause: the run sits at the symmetric all-zero point, a saddle
with zero gradient and negative curvature; random initialization is the remedy). Acceptable:
`zero_gradient` (the hidden kernels' gradient is exactly zero: the symptom, measured),
`vanishing_gradient` (the first layer's gradient is zero against a moving output layer),
`plateau` and `underfitting` (the loss that stays at the prior).

The healthy twin uses `glorot_uniform` (the fix, Keras' default). It must train well.
"""

import numpy as np
import tensorflow as tf
from keras import optimizers

from benchmarks.accuracy import measure, models
from benchmarks.accuracy.scenario import scenario

EPOCHS = 8
LEARNING_RATE = 0.1
NEAR_CHANCE = 0.05
SYMMETRY_SIDE_EFFECTS = ("zero_gradient", "vanishing_gradient", "plateau", "underfitting")


def _run(kernel_initializer, seed):
    model = models.dense_stack(64, [32] * 3, "tanh",
                               hidden_kwargs={"kernel_initializer": kernel_initializer})
    return models.digits_run(model, optimizers.SGD(LEARNING_RATE), seed, EPOCHS)


def stuck_at_symmetric_saddle(trained):
    """Hidden kernels and their gradients at the end, the loss against chance, and the Hessian's
    smallest eigenvalue at the final weights."""
    run, model = trained.run, trained.run.model
    x, y = measure.inputs_of(run.x), measure.inputs_of(run.y)
    loss = measure.loss_function(run)
    kernels = [layer.kernel for layer in model.layers[:-1]]
    with tf.GradientTape() as tape:
        value = loss(y, model(x, training=True))
    gradients = tape.gradient(value, kernels)
    still = all(not np.any(np.asarray(k)) for k in kernels)
    flat = all(g is None or not np.any(np.asarray(g)) for g in gradients)
    share = trained.history["loss"][-1] / measure.chance_loss(run)
    largest, smallest = measure.hessian_extremes(model, loss, measure.inputs_of(run.x, 256),
                                                 measure.inputs_of(run.y, 256))
    holds = still and flat and abs(share - 1) <= NEAR_CHANCE and smallest < 0
    return holds, (f"hidden kernels zero {still}, their gradients zero {flat}, final loss / chance "
                   f"{share:.3f}, hessian [{smallest:.1e}, {largest:.1e}]")


@scenario("mlp", expected=("saddle_point",), acceptable=SYMMETRY_SIDE_EFFECTS, heldout=True,
          verify=stuck_at_symmetric_saddle)
def heldout3_tanh_mlp_zero_kernels(seed):
    return _run("zeros", seed)


@scenario("mlp", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout3_healthy_tanh_mlp_glorot_kernels(seed):
    return _run("glorot_uniform", seed)
