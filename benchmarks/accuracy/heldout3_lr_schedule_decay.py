"""Held out (third split): an `ExponentialDecay` schedule that kills the learning rate in an epoch.

The fault. A user wants the learning rate to fall 100x over training and writes
`ExponentialDecay(0.05, decay_steps=10, decay_rate=0.01)` for `SGD`, thinking of `decay_steps`
as epochs. The schedule multiplies the rate by 0.01 every 10 *steps*: after the 43 steps of the
first epoch it is ~1e-10, and the rates of all the steps the run will ever take add up to
0.05 / (1 - 0.01^0.1) = 0.14, less than three steps at 0.05. The loss falls a little in the
first epoch and then does not move, far above what the same model reaches. The run must show a
learning rate below 1e-6 at the end (read from the optimizer), a final training loss above half
of chance, and a training loss within `measure.STALL_CHANGE` from the second epoch to the last.

Expected: `suspicious_config` (the cause: the schedule's settings make the learning rate
vanish; the one thing to change). Acceptable: `plateau` and `underfitting` (the flat, high loss
it makes).

The healthy twin uses `decay_steps=10_000` (the fix: the rate stays near 0.05 for the run). It
must train well.
"""

import numpy as np
from keras import optimizers

from benchmarks.accuracy import measure, models
from benchmarks.accuracy.scenario import scenario

INITIAL_RATE = 0.05
DECAY_RATE = 0.01
EPOCHS = 8
VANISHED_RATE = 1e-6
STALL_SIDE_EFFECTS = ("plateau", "underfitting")


def _run(decay_steps, seed):
    schedule = optimizers.schedules.ExponentialDecay(INITIAL_RATE, decay_steps=decay_steps,
                                                     decay_rate=DECAY_RATE)
    return models.digits_run(models.dense_stack(64, [64, 32], "relu"), optimizers.SGD(schedule), seed, EPOCHS)


def rate_vanishes(trained):
    """The optimizer's learning rate at the end, the final loss against chance, and the stall."""
    run = trained.run
    rate = float(np.asarray(run.optimizer.learning_rate))
    losses = trained.history["loss"]
    share = losses[-1] / measure.chance_loss(run)
    stalled = measure.longest_stall(losses[1:]) == len(losses) - 1
    holds = rate < VANISHED_RATE and share > measure.FAILING_LOSS_SHARE and stalled
    return holds, f"final learning rate {rate:.1e}, final loss / chance {share:.2f}, stalled {stalled}"


@scenario("mlp", expected=("suspicious_config",), acceptable=STALL_SIDE_EFFECTS, heldout=True,
          verify=rate_vanishes)
def heldout3_mlp_sgd_exponential_decay_every_10_steps(seed):
    return _run(10, seed)


@scenario("mlp", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout3_healthy_mlp_sgd_exponential_decay_every_10000_steps(seed):
    return _run(10_000, seed)
