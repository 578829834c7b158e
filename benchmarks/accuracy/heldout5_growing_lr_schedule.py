"""Held out (fifth split): an exponential learning-rate "decay" whose rate is 1.5, not 0.5.

The fault. A user trains a ReLU MLP on the digits with SGD (momentum 0.9) under
`keras.optimizers.schedules.ExponentialDecay(0.02, decay_steps=100, decay_rate=1.5)`, a typo
for 0.5. The schedule multiplies the rate by 1.5 every 100 steps instead of halving it: after
400 steps it is 0.1, after 800 it is 0.5, and sooner or later every step overshoots and
training blows up. The run must show the rate at the end 20 times or more its start, and a
training loss that ends non-finite or at least twice its lowest value.

(A rate of 0.01 halved every 50 steps, the brief's numbers, sums to too little for the twin to
train: it stalls at 0.4 of chance. 0.02 halved every 100 steps lets it train well.)

Expected: `suspicious_config` (the cause is the setup: a "decay" schedule that grows the rate).
Acceptable: `non_finite` (the overflow it ends in), `exploding_gradient` (the weights and
gradients the oversized steps inflate), `oscillation` (the loss bouncing as the steps start to
overshoot), `dead_relu` (ReLU units knocked off by the oversized steps), `underfitting` (the
loss it ends with).

The healthy twin uses `decay_rate=0.5` (the fix). It must train well.
"""

import math

from keras import optimizers

from benchmarks.accuracy import measure, models
from benchmarks.accuracy.scenario import scenario

EPOCHS = 25
INITIAL_RATE = 0.02
DECAY_STEPS = 100
MOMENTUM = 0.9
# A rate 20x its start: 0.4 with momentum 0.9, far beyond where SGD on this model is stable.
RATE_GROWTH = 20.0
# A final loss twice its lowest: training got worse, not just noisy.
LOSS_RISE = 2.0
GROWTH_SIDE_EFFECTS = ("non_finite", "exploding_gradient", "oscillation", "dead_relu",
                       "underfitting")


def _run(decay_rate, seed):
    schedule = optimizers.schedules.ExponentialDecay(INITIAL_RATE, decay_steps=DECAY_STEPS,
                                                     decay_rate=decay_rate)
    model = models.dense_stack(64, [64, 64], "relu")
    return models.digits_run(model, optimizers.SGD(schedule, momentum=MOMENTUM), seed, EPOCHS)


def rate_grows_until_blowup(trained):
    """The schedule's rate at the last step against its start, and the final training loss
    against its lowest (or non-finite)."""
    optimizer = trained.run.optimizer
    growth = float(optimizer.learning_rate) / INITIAL_RATE
    losses = trained.history["loss"]
    last = losses[-1]
    finite = [v for v in losses if math.isfinite(v)]
    blew_up = not math.isfinite(last) or last >= LOSS_RISE * min(finite)
    return growth >= RATE_GROWTH and blew_up, \
        f"rate at the end / start {growth:.0f}, final loss {last:.3g} (lowest {min(finite):.3g})"


@scenario("mlp", expected=("suspicious_config",), acceptable=GROWTH_SIDE_EFFECTS, heldout=True,
          verify=rate_grows_until_blowup)
def heldout5_mlp_sgd_exponential_decay_rate_1_5(seed):
    return _run(1.5, seed)


@scenario("mlp", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout5_healthy_mlp_sgd_exponential_decay_rate_0_5(seed):
    return _run(0.5, seed)
