"""Held out (twelfth split): `GRU(recurrent_dropout=0.9)`.

The fault. A user reads digits row by row (8 steps of 8 pixels) with one `GRU(32)` and a softmax
head, Adam(3e-3), 10 epochs, and sets `recurrent_dropout=0.9` to "regularize hard" (the rate
of a different knob, or a typo for 0.09). During training the GRU then drops 90% of its state's
entries at every step of every sequence, and multiplies the rest by 10: what a step receives
from the step before is mostly noise, so the memory the task needs (the later rows carry the
digit only together with the earlier ones) is wiped eight times per sequence. The model learns
slowly and poorly; in inference, without the dropout, it does better than its training loss
suggests but still stays far from what the same GRU reaches. The run must show a validation
accuracy below 0.85 (the twin reaches above 0.9), a final training loss above 0.35 of the chance
loss (the twin ends near 0.1 of it), and that loss (measured under the dropout) more than 1.1
times the loss of the same weights on the same rows without it.

Expected: `underfitting` (the training loss stays far above what the model can reach).
Acceptable:
- `plateau`: the noisy loss falls slowly.

The healthy twin uses `recurrent_dropout=0.1` (the fix: a mild rate). It must reach 0.9
validation accuracy and generalize.
"""

import keras
import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import data, heldout11_parts, measure
from benchmarks.accuracy.scenario import Run, scenario

POOR_ACCURACY = 0.85
NOISE_OVER_CLEAN = 1.1
HIGH_LOSS_SHARE = 0.35
NOISY_STATE_SIDE_EFFECTS = ("plateau",)


def _run(rate, seed):
    (x, y), val = data.digit_rows(seed)
    model = keras.Sequential([keras.Input((8, 8)), layers.GRU(32, recurrent_dropout=rate),
                              layers.Dense(10, activation="softmax")])
    return Run(model, optimizers.Adam(3e-3), "sparse_categorical_crossentropy", x, y, epochs=10,
               validation_data=val, metrics=("accuracy",))


def dropout_drowns_the_state(trained):
    """The last training loss (under recurrent dropout) is above `HIGH_LOSS_SHARE` of chance and
    above `NOISE_OVER_CLEAN` times the loss of the final weights on the training rows in
    inference mode."""
    run = trained.run
    last = trained.history["loss"][-1]
    clean = float(np.mean(measure.loss_function(run)(run.y, run.model(run.x, training=False))))
    share, ratio = last / measure.chance_loss(run), last / clean
    return share > HIGH_LOSS_SHARE and ratio > NOISE_OVER_CLEAN, \
        f"final loss / chance {share:.2f}, training loss under dropout / without {ratio:.2f}"


@scenario("rnn", expected=("underfitting",), acceptable=NOISY_STATE_SIDE_EFFECTS, heldout=True,
          verify=measure.all_of(dropout_drowns_the_state, heldout11_parts.less_accurate_than(POOR_ACCURACY)))
def heldout12_rnn_gru_recurrent_dropout_0_9(seed):
    return _run(0.9, seed)


@scenario("rnn", heldout=True, verify=heldout11_parts.accurate_and_generalizes())
def heldout12_healthy_rnn_gru_recurrent_dropout_0_1(seed):
    return _run(0.1, seed)
