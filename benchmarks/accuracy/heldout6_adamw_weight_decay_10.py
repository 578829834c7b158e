"""Held out (sixth split): AdamW with `weight_decay=10` on a ReLU digits MLP.

The fault. A user switches a digits classifier (two hidden `Dense(64, "relu")` layers, softmax
head) to `keras.optimizers.AdamW(learning_rate=1e-3, weight_decay=10.0)`, reading the decay as
an L2 strength to be tuned on a log scale around 1 rather than the usual 1e-4 to 1e-2. AdamW
subtracts `learning_rate * weight_decay * w` from every weight at every step, on top of Adam's
step, whose size is about the learning rate whatever the gradient. A weight whose gradient does
not keep one sign is pulled back to zero; the ones the data does hold up settle near the ratio of
Adam's normalized step to the decay, about 1 / weight_decay. The kernels end far smaller than
they started and the network cannot fit the digits. (At `weight_decay=1.0`, as first planned,
the weights the data needs can still reach ~1 and the run only trains slower: final training
loss 0.08 of chance against the twin's 0.03, kernel norm 11.3 -> 9.9, seeds 0-1.) The run must
show, at the end, the hidden kernels' norm below half of their initial norm, and a training loss
above half of chance.

Expected: `underfitting` (the decay is a regularization so strong that the model cannot fit its
training data).
Acceptable:
- `suspicious_config`: the cause is a setup value, a weight decay a thousand times the usual;
- `plateau`: the loss settles where the decay balances the data's pull;
- `vanishing_gradient`: kernels shrunk toward zero multiply the backward signal by small factors.

The healthy twin uses `weight_decay=1e-4` (the fix). It must train well.
"""

import numpy as np
from keras import optimizers

from benchmarks.accuracy import data, measure, models
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 15
LEARNING_RATE = 1e-3
WIDTHS = (64, 64)
# The decay wins when the kernels end at less than half of the size they started with.
SHRUNK_SHARE = 0.5
DECAY_SIDE_EFFECTS = ("suspicious_config", "plateau", "vanishing_gradient")


def _run(weight_decay, seed):
    (x, y), val = data.digits(seed)
    model = models.dense_stack(64, list(WIDTHS), "relu")
    optimizer = optimizers.AdamW(learning_rate=LEARNING_RATE, weight_decay=weight_decay)
    return Run(model, optimizer, "sparse_categorical_crossentropy", x, y, epochs=EPOCHS,
               validation_data=val)


def _hidden_kernel_norm(weights):
    """Norm of the hidden kernels (the 2-D arrays before the head's)."""
    kernels = [w for w in weights if w.ndim == 2][:-1]
    return float(np.sqrt(sum(np.sum(np.square(k)) for k in kernels)))


def kernels_shrunk(trained):
    """The hidden kernels' norm at the end against at the start."""
    start = _hidden_kernel_norm(trained.initial_weights)
    end = _hidden_kernel_norm(trained.run.model.get_weights())
    return end < SHRUNK_SHARE * start, f"hidden kernel norm {start:.2f} -> {end:.2f}"


@scenario("mlp", expected=("underfitting",), acceptable=DECAY_SIDE_EFFECTS, heldout=True,
          verify=measure.all_of(kernels_shrunk, measure.fails_to_learn()))
def heldout6_mlp_adamw_weight_decay_10(seed):
    return _run(10.0, seed)


@scenario("mlp", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout6_healthy_mlp_adamw_weight_decay_1e_4(seed):
    return _run(1e-4, seed)
