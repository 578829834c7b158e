"""Held out (thirteenth split): a GRU that returns its whole sequence into a per-sequence head.

The fault. A user predicts one number per sensor recording (16 steps of 4 readings; the target
is the total of the first reading over the recording, scaled to variance 1) with `GRU(32,
return_sequences=True)` followed by `Dense(1)`, mean squared error, Adam(3e-3), 20 epochs.
`return_sequences=True` was copied from a stacked-GRU example whose next layer was another GRU;
here the head is applied at every step, so the model outputs shape `(batch, 16, 1)`, and the
mean squared error broadcasts each recording's one target over its 16 steps without complaint
(the cross-entropies would have refused the shapes). The loss is now the mean over steps of a
prediction made after 1, 2, ..., 16 steps, and after t steps only t/16 of the total is known:
the early steps keep a high error whatever the model does, and the mean training loss cannot
fall below about half of the target's variance. The run must show the prediction after the
first step explaining less than 0.2 of the validation targets' variance while the prediction
after the last explains at least 0.8 (the information is there), and a final mean training
loss above 0.3 of the variance (chance).

Expected: `underfitting` (the training loss stays high: the model cannot fit the targets at
the early steps it is scored on).
Acceptable:
- `plateau`: the loss flattens at its floor (the early steps' irreducible error).

The healthy twin uses `GRU(32)` (the fix: one output per recording). It must bring its training
loss below half of chance and generalize.
"""

import keras
import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import heldout13_parts, measure
from benchmarks.accuracy.scenario import Run, scenario

EARLY_R_SQUARED = 0.2
LATE_R_SQUARED = 0.8
LOSS_FLOOR_SHARE = 0.3


def _run(return_sequences, seed):
    (x, y), val = heldout13_parts.sequence_totals(seed)
    model = keras.Sequential([keras.Input((16, 4)), layers.GRU(32, return_sequences=return_sequences),
                              layers.Dense(1)])
    return Run(model, optimizers.Adam(3e-3), "mean_squared_error", x, y, epochs=20, validation_data=val)


def per_step_fit(trained):
    """R^2 on the validation targets of the prediction after the first step and after the last."""
    x_val, y_val = trained.run.validation_data
    scores = np.asarray(trained.run.model(x_val, training=False))
    if scores.ndim != 3:
        return False, f"output shape {scores.shape}"
    first, last = (heldout13_parts.r_squared(y_val, scores[:, step, 0]) for step in (0, -1))
    return first < EARLY_R_SQUARED and last >= LATE_R_SQUARED, \
        f"output shape {scores.shape}, R^2 after step 1 {first:.3f}, after step 16 {last:.3f}"


def loss_floor(trained):
    ratio = trained.history["loss"][-1] / measure.chance_loss(trained.run)
    return ratio > LOSS_FLOOR_SHARE, f"final training loss / chance {ratio:.2f}"


@scenario("rnn", expected=("underfitting",), acceptable=("plateau",), heldout=True,
          verify=measure.all_of(per_step_fit, loss_floor))
def heldout13_rnn_gru_return_sequences_true_before_per_sequence_head(seed):
    return _run(True, seed)


@scenario("rnn", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout13_healthy_rnn_gru_last_output_before_per_sequence_head(seed):
    return _run(False, seed)
