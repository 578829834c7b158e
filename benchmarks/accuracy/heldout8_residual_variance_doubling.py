"""Held out (eighth split): 20 unnormalized residual blocks with He-initialized branches.

The fault. A user builds a residual MLP for standardized digits: a `Dense(64)` projection, then
20 blocks `x = x + Dense(64, "relu", he_normal)(Dense(64, "relu", he_normal)(x))`, no
normalization and no scaling of the branch, then a softmax head, trained with
`SGD(learning_rate=0.01, momentum=0.9)`. He initialization keeps each branch's output about as
large as its input, so every addition doubles the variance of the residual stream: after 20
blocks it is about 2^20 times the projection's, and more, since each ReLU branch also adds its
positive mean (measured at seeds 0-1: a spread 1.8e4 times the projection's). The head's
logits are in the thousands and so are the loss and its gradients; the first SGD steps throw
the weights so far that the loss is NaN within the first epoch. The run must show, at the initial
weights, a residual stream whose spread after the last block is at least 100 times its spread
after the projection, and a first-epoch training loss at least 10 times chance (or not
finite).

Expected: `exploding_gradient` (activations and gradients grow block by block).
Acceptable:
- `non_finite`: the overflowing activations and steps can turn the loss into inf or NaN;
- `dead_relu`: the huge first steps push ReLU units to output 0 for every input;
- `oscillation`: overlarge steps make the loss jump up and down;
- `underfitting`: after the blow-up the model can fail to learn.

The twin, written as the healthy fix, initializes the second Dense of each branch with
`kernel_initializer="zeros"` but keeps its ReLU. Relabelled on 2026-12-08, after the diagnostics
named it: a ReLU unit whose weights and bias are all zero outputs 0 with a gradient of 0, so none
of the 20 branches ever trains (their weights stay exactly zero at every seed, and the network is
the projection and the head, a linear classifier that still scores well on digits). It is now a
faulty scenario outside the held-out split (it was judged after its result was seen):

Expected: `suspicious_config` (the dead start, a fact of the graph).
Acceptable:
- `dead_relu`: the 20 layers output zero for every input, an effect of the start.

The fix is the one the zero-init residual networks use: the branch's last layer linear.
"""

import math

import keras
import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import data, measure
from benchmarks.accuracy.scenario import Run, scenario

BLOCKS = 20
WIDTH = 64
EPOCHS = 15
# The stream's spread multiplied by 100 across the blocks, and a first loss 10x chance: blown up.
STREAM_GROWTH = 100
LOSS_GROWTH = 10
BLOWN_UP_SIDE_EFFECTS = ("non_finite", "dead_relu", "oscillation", "underfitting")


def residual_mlp(second_initializer):
    """The projection, `BLOCKS` residual blocks whose branch ends with a Dense initialized by
    `second_initializer`, and a softmax head."""
    inputs = keras.Input((64,))
    stream = layers.Dense(WIDTH, name="projection")(inputs)
    for _ in range(BLOCKS):
        branch = layers.Dense(WIDTH, activation="relu", kernel_initializer="he_normal")(stream)
        branch = layers.Dense(WIDTH, activation="relu", kernel_initializer=second_initializer)(branch)
        stream = layers.Add()([stream, branch])
    return keras.Model(inputs, layers.Dense(10, activation="softmax")(stream))


def _run(model, seed):
    (x, y), val = data.standardized_digits(seed)
    return Run(model, optimizers.SGD(learning_rate=0.01, momentum=0.9),
               "sparse_categorical_crossentropy", x, y, epochs=EPOCHS, validation_data=val)


def stream_blows_up(trained):
    """At the initial weights, the residual stream after the last block spreads at least
    `STREAM_GROWTH` times more than after the projection, and the first epoch's loss is at
    least `LOSS_GROWTH` times chance (or not finite)."""
    model = trained.run.model
    probe = keras.Model(model.inputs[0], [model.get_layer("projection").output, model.layers[-2].output])
    x = measure.inputs_of(trained.run.x)
    first, last = measure.with_weights(model, trained.initial_weights,
                                       lambda: [np.asarray(out) for out in probe(x)])
    growth = float(last.std() / first.std())
    loss = trained.history["loss"][0]
    ratio = loss / measure.chance_loss(trained.run)
    return growth >= STREAM_GROWTH and (not math.isfinite(loss) or ratio >= LOSS_GROWTH), \
        f"stream spread growth {growth:.3g}, first loss / chance {ratio:.3g}"


@scenario("mlp", expected=("exploding_gradient",), acceptable=BLOWN_UP_SIDE_EFFECTS, heldout=True,
          verify=stream_blows_up)
def heldout8_mlp_20_residual_blocks_he_normal_no_normalization(seed):
    return _run(residual_mlp("he_normal"), seed)


def branches_stay_zero(trained):
    """Every branch's second Dense (the zero-initialized ones) holds only zeros after `fit`."""
    model = trained.run.model
    branch_ends = [add.input[1] for add in model.layers if isinstance(add, layers.Add)]
    kernels = [np.asarray(layer.kernel) for layer in model.layers
               if isinstance(layer, layers.Dense) and any(layer.output is end for end in branch_ends)]
    nonzero = sum(int(np.count_nonzero(kernel)) for kernel in kernels)
    return len(kernels) == BLOCKS and nonzero == 0, f"{nonzero} nonzero entries in {len(kernels)} branch-end kernels"


@scenario("mlp", expected=("suspicious_config",), acceptable=("dead_relu",), verify=branches_stay_zero)
def mlp_20_residual_blocks_zero_init_relu_branch_ends_never_train(seed):
    return _run(residual_mlp("zeros"), seed)
