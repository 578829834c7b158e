"""Held out (seventh split): an LSTM on 100-step sequences trained with SGD(learning_rate=1.0)
and no gradient clipping.

The fault. A user trains `LSTM(64)` on sequences of 100 steps whose label depends on the whole
sequence (is the mean of the first feature over all 100 steps positive: a long-range rule),
with plain `SGD(learning_rate=1.0)`, a step size that is only safe with clipping. The gradient
of a recurrent model through 100 steps is usually small but has rare, very large spikes (the
"cliffs" of the recurrent loss surface); at this step size one spike throws the weights far
away, the loss jumps up and the gates saturate. The run must show the whole-model gradient norm
at some point of the run (at the initial or final weights) above 100x the initial one, or a
later epoch's loss more than 1.5x its predecessor's, or a non-finite loss.

Expected: `exploding_gradient` (gradient spikes of the recurrent layer throw the weights away).
Acceptable:
- `non_finite`: a large enough spike overflows to inf/NaN;
- `oscillation`: the loss jumps up and falls back after each spike;
- `saturation`: thrown weights push the LSTM's gates to their bounds;
- `underfitting`: the model may not fit the rule at all.

The healthy twin is the same with `SGD(learning_rate=1.0, clipnorm=1.0)` (the fix). It must
train well.
"""

import keras
import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import measure
from benchmarks.accuracy.data import split
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 12
LEARNING_RATE = 1.0
TIMESTEPS = 100
FEATURES = 4
SAMPLES = 1200
UNITS = 64
# One step alone tells the label little (a third of the noise); the whole sequence tells it well.
DRIFT = 0.3
# A gradient spike: 100x the initial whole-model gradient norm; a loss jump: 1.5x the epoch before.
SPIKE_FACTOR = 100.0
JUMP_FACTOR = 1.5
SPIKE_SIDE_EFFECTS = ("non_finite", "oscillation", "saturation", "underfitting")


def long_range_sequences(seed):
    """Gaussian sequences whose first feature carries a weak per-sequence drift (+-`DRIFT`, a
    third of the noise); label 1 when the first feature's mean over all steps is positive."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(SAMPLES, TIMESTEPS, FEATURES))
    x[:, :, 0] += DRIFT * rng.choice([-1.0, 1.0], size=(SAMPLES, 1))
    x = x.astype("float32")
    y = (x[:, :, 0].mean(1) > 0).astype("float32")
    return split(x, y, seed)


def _run(clipnorm, seed):
    (x, y), val = long_range_sequences(seed)
    model = keras.Sequential([keras.Input((TIMESTEPS, FEATURES)), layers.LSTM(UNITS),
                              layers.Dense(1, activation="sigmoid")])
    optimizer = optimizers.SGD(learning_rate=LEARNING_RATE, clipnorm=clipnorm)
    return Run(model, optimizer, "binary_crossentropy", x, y, epochs=EPOCHS,
               validation_data=val)


def gradient_spikes(trained):
    """A non-finite loss, a later epoch's loss above `JUMP_FACTOR` times the one before, or a
    final gradient norm above `SPIKE_FACTOR` times the initial one."""
    run, model = trained.run, trained.run.model
    losses = np.asarray(trained.history["loss"], dtype="float64")
    if not measure.finite(losses):
        return True, "non-finite loss"
    x, y = measure.inputs_of(run.x), measure.inputs_of(run.y).reshape(-1, 1)
    loss = measure.loss_function(run)
    initial = measure.with_weights(model, trained.initial_weights,
                                   lambda: measure.global_gradient_norm(model, loss, x, y))
    final = measure.global_gradient_norm(model, loss, x, y)
    jump = float(np.max(losses[2:] / losses[1:-1]))
    spike = final / max(initial, 1e-30)
    return spike > SPIKE_FACTOR or jump > JUMP_FACTOR or not np.isfinite(final), \
        f"final/initial gradient norm {spike:.1e}, largest epoch-to-epoch loss rise {jump:.2f}x"


@scenario("rnn", expected=("exploding_gradient",), acceptable=SPIKE_SIDE_EFFECTS, heldout=True,
          verify=gradient_spikes)
def heldout7_lstm_100_steps_sgd_lr_1_no_clipping(seed):
    return _run(None, seed)


@scenario("rnn", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout7_healthy_lstm_100_steps_sgd_lr_1_clipnorm_1(seed):
    return _run(1.0, seed)
