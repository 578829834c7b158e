"""Held out (fifth split): an LSTM with `activation="relu"` on 100-step sequences, Adam(1e-2).

The fault. A user has read that ReLU trains better than tanh and builds
`LSTM(32, activation="relu")` + `Dense(1, "sigmoid")` for sensor sequences of 100 steps (four
channels of noise; the class shifts the first channel's mean by +-0.5), with Adam at 1e-2. In an
LSTM the activation bounds both the candidate written into the cell and the cell read out as
the hidden state; with ReLU neither is bounded, the hidden state fed back through the recurrent
kernel can grow step after step, and 100 steps of that compound: activations and gradients blow
up, the more so as Adam's large steps grow the recurrent weights. The run must show a non-finite
loss or weight; or an epoch whose loss is 100 times chance or more (binary cross-entropy on a
sigmoid output only gets there through logits in the hundreds, out of reach of a bounded cell
read by a `Dense` of moderate weights); or at the end an LSTM output of 100 or more (a tanh
LSTM's output is below 1) with a gradient norm 100 times or more the initial one.

Expected: `exploding_gradient` (the cause as the run shows it: recurrent activations and
gradients that grow without bound) or `suspicious_config` (the cause in the setup: an unbounded
activation inside a recurrent cell). Acceptable: `non_finite` (the overflow it ends in),
`oscillation` (the loss jumping as the blown-up steps land), `dead_relu` (ReLU units of the cell
shut after a blow-up), `underfitting` (the task it never learns).

The healthy twin uses the default `activation="tanh"` (the fix). It must train well.
"""

import math

import numpy as np
from keras import layers

from benchmarks.accuracy import measure
from benchmarks.accuracy.noise_sequences import sequence_run
from benchmarks.accuracy.scenario import scenario

STEPS = 100
CHANNELS = 4
SEQUENCES = 1500
SHIFT = 0.5
EPOCHS = 10
LEARNING_RATE = 1e-2
# A tanh LSTM's output is below 1 in size; 100 is two orders of magnitude past any bounded cell.
BLOWN_OUTPUT = 100.0
# A gradient 100x its size at the start: grown, not just drifting.
GRADIENT_GROWTH = 100.0
# An epoch loss 100x chance: logits in the hundreds, which only unbounded activations reach.
LOSS_BLOWUP = 100.0
UNBOUNDED_SIDE_EFFECTS = ("non_finite", "oscillation", "dead_relu", "underfitting")


def _shift_first_channel(x, labels):
    x[:, :, 0] += (SHIFT * (2 * labels - 1))[:, None]


def _run(activation, seed):
    return sequence_run(seed, _shift_first_channel, SEQUENCES, STEPS, CHANNELS, layers.LSTM,
                        LEARNING_RATE, EPOCHS, activation=activation)


def recurrence_blows_up(trained):
    """A non-finite loss or weight; else the largest epoch loss against chance, the largest LSTM
    output at the end, and the gradient norm at the end against the one at the initial weights."""
    run, model = trained.run, trained.run.model
    if not measure.finite(trained.history["loss"]) or not all(measure.finite(w) for w in model.get_weights()):
        return True, "non-finite loss or weights"
    peak = max(trained.history["loss"]) / measure.chance_loss(run)
    x, y = measure.inputs_of(run.x), measure.inputs_of(run.y).reshape(-1, 1)
    loss = measure.loss_function(run)
    largest = float(np.max(np.abs(model.layers[0](x))))
    start = measure.with_weights(model, trained.initial_weights,
                                 lambda: measure.global_gradient_norm(model, loss, x, y))
    end = measure.global_gradient_norm(model, loss, x, y)
    growth = end / max(start, 1e-30) if math.isfinite(end) else math.inf
    holds = (peak >= LOSS_BLOWUP or (largest >= BLOWN_OUTPUT and growth >= GRADIENT_GROWTH)
             or not math.isfinite(end))
    return holds, (f"largest epoch loss / chance {peak:.3g}, largest LSTM output at the end "
                   f"{largest:.3g}, gradient norm end / start {growth:.3g}")


@scenario("rnn", expected=("exploding_gradient", "suspicious_config"),
          acceptable=UNBOUNDED_SIDE_EFFECTS, heldout=True, verify=recurrence_blows_up)
def heldout5_rnn_lstm_relu_activation_100_steps(seed):
    return _run("relu", seed)


@scenario("rnn", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout5_healthy_rnn_lstm_tanh_activation_100_steps(seed):
    return _run("tanh", seed)
