"""Held out (fourth split): SGD with momentum 0.999 on a ReLU MLP.

The fault. A user copies `momentum=0.999` (a value that belongs to Adam's second moment) into
`SGD(learning_rate=0.02, momentum=0.999)` for a ReLU digits MLP on standardized pixels.
Heavy-ball momentum keeps 99.9% of the last step, so the effective step grows towards
lr / (1 - momentum) = 20 and the velocity carries the weights far past every minimum before it
turns: the epoch loss goes up and down instead of down. The run must show
(`measure.oscillates`) the epoch loss turning direction at 40% of the epochs or more, by a mean
swing of 1% or more, and ending at or above the chance loss (no progress left), every loss
finite.

Expected: `oscillation` (the cause as the run shows it: the optimizer overshoots and the loss
bounces). Acceptable: `suspicious_config` (the momentum setting named as the cause of that),
`exploding_gradient` (the overshooting weights grow, and their gradients with them),
`dead_relu` (large steps push ReLU units where no input reaches them), `underfitting` (the loss
that ends far above a fit).

The healthy twin uses momentum 0.9 (the fix; at learning rate 0.1 the description's first
version, momentum 0.9 itself overshot on one seed, so both use 0.02). It must train well.
"""

from keras import optimizers

from benchmarks.accuracy import data, measure, models
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 16
LEARNING_RATE = 0.02
OVERSHOOT_SIDE_EFFECTS = ("suspicious_config", "exploding_gradient", "dead_relu", "underfitting")


def _run(momentum, seed):
    (x, y), val = data.standardize(data.digits(seed))
    model = models.dense_stack(64, [64, 64], "relu")
    return Run(model, optimizers.SGD(LEARNING_RATE, momentum=momentum),
               "sparse_categorical_crossentropy", x, y, epochs=EPOCHS, validation_data=val)


@scenario("mlp", expected=("oscillation",), acceptable=OVERSHOOT_SIDE_EFFECTS, heldout=True,
          verify=measure.oscillates(above_chance=1.0))
def heldout4_mlp_sgd_momentum_0999(seed):
    return _run(0.999, seed)


@scenario("mlp", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout4_healthy_mlp_sgd_momentum_09(seed):
    return _run(0.9, seed)
