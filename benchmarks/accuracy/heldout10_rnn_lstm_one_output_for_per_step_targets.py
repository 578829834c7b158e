"""Held out (tenth split): an LSTM that returns one value per sequence, trained on one target
per time step.

The fault. A user wants a per-step prediction from a noisy sensor: for each of 20 steps, the sum
of the current and the previous reading (targets of shape `(n, 20, 1)`). Their model is
`LSTM(32)`, `Dense(1)`, MSE, Adam(1e-2): without `return_sequences=True` the LSTM gives only its
last state, so the model outputs one value per sequence, shape `(n, 1)`. Keras does not raise:
it expands the prediction to `(n, 1, 1)` and broadcasts it against the 20 targets, so the model
is asked for one number that is close to 20 different ones at once. The best it can do is the
sequence's average target, which leaves most of the targets' variance unexplained: the loss
stalls near the targets' variance (about 2) while the twin's falls near 0. The run must show a
prediction without a time axis and a final training loss above 0.8 of the targets' variance.

Expected: `output_loss_mismatch` (the output's shape does not match the targets': one value per
sequence against one per step).
Acceptable:
- `underfitting`: the loss stays near that of a constant per sequence;
- `plateau`: the loss stops falling after the first epochs.

The healthy twin uses `LSTM(32, return_sequences=True)` (the fix), so `Dense(1)` predicts every
step. It must end with a training and a validation loss below 0.1 of the targets' variance.
"""

import keras
import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import data, measure
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 12
SEQUENCES = 1500
STEPS = 20
STUCK_SHARE = 0.8
LEARNED_SHARE = 0.1
ONE_OUTPUT_SIDE_EFFECTS = ("underfitting", "plateau")


def sensor_pairs(seed):
    """`(x, y), (x_val, y_val)`: standard normal readings `(n, STEPS, 1)` and, per step, the sum
    of the current and the previous reading (the first step: the reading alone)."""
    x = np.random.default_rng(seed).normal(size=(SEQUENCES, STEPS, 1)).astype("float32")
    y = x.copy()
    y[:, 1:] += x[:, :-1]
    return data.split(x, y, seed)


def _run(return_sequences, seed):
    (x, y), val = sensor_pairs(seed)
    model = keras.Sequential([keras.Input((STEPS, 1)), layers.LSTM(32, return_sequences=return_sequences),
                              layers.Dense(1)])
    return Run(model, optimizers.Adam(1e-2), "mean_squared_error", x, y, epochs=EPOCHS,
               validation_data=val)


def one_value_per_sequence(trained):
    """The prediction has no time axis and the final training loss is above `STUCK_SHARE` of the
    targets' variance."""
    run = trained.run
    shape = tuple(run.model(run.x[:4]).shape)
    share = trained.history["loss"][-1] / float(np.var(run.y))
    return len(shape) < np.ndim(run.y) and share > STUCK_SHARE, \
        f"prediction shape {shape}, targets {np.shape(run.y)[1:]}; final loss / target variance {share:.2f}"


def predicts_every_step(trained):
    """The final training and validation losses are below `LEARNED_SHARE` of the targets'
    variance."""
    variance = float(np.var(trained.run.y))
    train, val = (loss / variance for loss in measure.final_losses(trained))
    return max(train, val) < LEARNED_SHARE, \
        f"final loss / target variance {train:.3f}, val {val:.3f}"


@scenario("rnn", expected=("output_loss_mismatch",), acceptable=ONE_OUTPUT_SIDE_EFFECTS, heldout=True,
          verify=one_value_per_sequence)
def heldout10_rnn_lstm_one_output_per_sequence_for_per_step_targets(seed):
    return _run(False, seed)


@scenario("rnn", heldout=True, verify=predicts_every_step)
def heldout10_healthy_rnn_lstm_return_sequences_for_per_step_targets(seed):
    return _run(True, seed)
