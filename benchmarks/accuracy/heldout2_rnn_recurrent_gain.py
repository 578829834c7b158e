"""Held out (second split): a SimpleRNN over 60 steps with an orthogonal recurrent matrix of gain 3.

The fault. A user reads "orthogonal recurrent weights keep the gradient alive" and, to keep it
"stronger", sets `recurrent_initializer=Orthogonal(gain=3.0)` on a `SimpleRNN(32)` that reads 60
time steps (generated: three noisy channels; in class k channel k carries an offset). Every
singular value of the recurrent matrix is 3; tanh bounds the state, but the Jacobian of one step,
3 Q diag(1 - h^2), still has a mean squared gain above 1 at the state's working point (the
chaotic regime of a random tanh network: 9 E[tanh'(z)^2] is ~1.8 here), so the gradient carried
back through time grows by about a third per step, by orders of magnitude over 60 steps. The run
must show, at the initial weights, a gradient with respect to the first time step's input 1e3 or
more times the one with respect to the last step's, or a non-finite gradient or loss.

Expected: `exploding_gradient`. Acceptable: `saturation` (the tanh state pinned near +-1 by the
gain), `oscillation` and `non_finite` (what large gradient steps do to the loss), `underfitting`
and `plateau` (a chaotic state that carries no usable signal).

The healthy twin uses `Orthogonal(gain=1.0)`, the Keras default (the fix). It must train well.
"""

import math

import keras
import numpy as np
from keras import initializers, layers, optimizers

from benchmarks.accuracy import measure
from benchmarks.accuracy.scenario import Run, scenario

TIMESTEPS = 60
CHANNELS = 3
SAMPLES = 900
VALIDATION = 300
OFFSET = 1.0
CHAOTIC_SIDE_EFFECTS = ("saturation", "oscillation", "non_finite", "underfitting", "plateau")


def offset_channels(seed):
    """`(x, y), (x_val, y_val)`: standard-normal sequences `(n, TIMESTEPS, CHANNELS)`; in class k
    channel k is offset by `OFFSET` at every step."""
    rng = np.random.default_rng(seed)
    total = SAMPLES + VALIDATION
    y = rng.integers(0, CHANNELS, size=total)
    x = rng.normal(size=(total, TIMESTEPS, CHANNELS))
    x[np.arange(total), :, y] += OFFSET
    x = x.astype("float32")
    return (x[:SAMPLES], y[:SAMPLES]), (x[SAMPLES:], y[SAMPLES:])


def _rnn(gain):
    cell = layers.SimpleRNN(32, recurrent_initializer=initializers.Orthogonal(gain=gain))
    return keras.Sequential([keras.Input((TIMESTEPS, CHANNELS)), cell,
                             layers.Dense(CHANNELS, activation="softmax")])


def gradients_explode_through_time(ratio=measure.EXPLODED_RATIO):
    """At the initial weights the input gradient at the first step is `ratio` times the one at
    the last step or more, or a gradient or the training loss is not finite."""
    def verify(trained):
        run, model = trained.run, trained.run.model
        x, y = measure.inputs_of(run.x), measure.inputs_of(run.y)
        norms = measure.with_weights(model, trained.initial_weights,
                                     lambda: measure.input_gradient_per_step(model, measure.loss_function(run), x, y))
        if not measure.finite(norms) or not measure.finite(trained.history["loss"]):
            return True, "non-finite gradient or loss"
        value = norms[0] / max(norms[-1], 1e-30)
        per_step = math.pow(value, 1 / (TIMESTEPS - 1))
        return value >= ratio, f"initial first/last time step gradient {value:.1e} (x{per_step:.2f} per step)"
    return verify


@scenario("rnn", expected=("exploding_gradient",), acceptable=CHAOTIC_SIDE_EFFECTS, heldout=True,
          verify=gradients_explode_through_time())
def heldout2_simple_rnn_60_steps_orthogonal_gain_3(seed):
    (x, y), val = offset_channels(seed)
    return Run(_rnn(3.0), optimizers.Adam(1e-3), "sparse_categorical_crossentropy", x, y, epochs=5,
               validation_data=val)


@scenario("rnn", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout2_healthy_simple_rnn_60_steps_orthogonal_gain_1(seed):
    (x, y), val = offset_channels(seed)
    return Run(_rnn(1.0), optimizers.Adam(1e-3), "sparse_categorical_crossentropy", x, y, epochs=5,
               validation_data=val)
