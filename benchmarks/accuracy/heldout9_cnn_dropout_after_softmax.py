"""Held out (ninth split): `Dropout(0.5)` placed after the softmax output.

The fault. A user adds dropout "before the output" of a small digits CNN (`Conv2D(16, 3,
"relu")`, `MaxPooling2D`, `Flatten`, `Dense(10, "softmax")`) but appends `Dropout(0.5)` as the
last layer, after the softmax, and trains it with sparse categorical cross-entropy and
Adam(1e-3). In training, dropout zeroes each of the ten probabilities with chance 0.5 and
doubles the others: the outputs no longer sum to 1, the true class's probability is 0 for half
of the samples (the loss clips it to 1e-7 and charges about 16 nats, with no gradient), and for
the other half it is doubled, so it reaches the clip at 1 once the model gives it 0.5. The
training loss therefore starts near 8 and stays above 4, far above the chance loss (2.3), while
the validation loss, computed without dropout, ends below 1. The run must show rows of the training-
mode output that do not sum to 1 (mean |row sum - 1| above 0.3), and a final training loss
above chance and at least 3 times the validation loss.

Expected: `output_loss_mismatch` (what reaches the loss is not a probability distribution: a
layer after the output activation breaks it).
Acceptable:
- `underfitting`: the training loss stays above chance for the whole run;
- `plateau`: the training loss barely moves from its first epochs;
- `suspicious_config`: the cause is a setup choice, a dropout layer after the output.

The healthy twin puts the `Dropout(0.5)` before the output `Dense` (the fix). It must train well
and generalize.
"""

import keras
import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import data, heldout8_parts, measure
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 15
# A softmax's rows sum to 1; dropout 0.5 after it gives sums spread around 1 by about 0.5.
ROW_SUM_GAP = 0.3
TRAIN_OVER_VALIDATION = 3.0
DROPOUT_AFTER_OUTPUT_SIDE_EFFECTS = ("underfitting", "plateau", "suspicious_config")


def _run(dropout_last, seed):
    (x, y), val = data.digits(seed, image=True)
    head = ([layers.Dense(10, activation="softmax"), layers.Dropout(0.5)] if dropout_last
            else [layers.Dropout(0.5), layers.Dense(10, activation="softmax")])
    model = keras.Sequential([keras.Input((8, 8, 1)), layers.Conv2D(16, 3, activation="relu"),
                              layers.MaxPooling2D(), layers.Flatten(), *head])
    return Run(model, optimizers.Adam(1e-3), "sparse_categorical_crossentropy", x, y, epochs=EPOCHS,
               validation_data=val, metrics=("accuracy",))


def training_outputs_not_distributions(trained):
    """In training mode the output rows do not sum to 1 (mean gap above `ROW_SUM_GAP`), and the
    final training loss is above chance and `TRAIN_OVER_VALIDATION` times the validation loss."""
    run = trained.run
    sums = np.asarray(run.model(run.x[:256], training=True)).sum(-1)
    gap = float(np.mean(np.abs(sums - 1)))
    train, val = measure.final_losses(trained)
    chance = measure.chance_loss(run)
    return gap > ROW_SUM_GAP and train > chance and train > TRAIN_OVER_VALIDATION * val, \
        f"training-mode mean |row sum - 1| {gap:.2f}; train loss {train:.2f} (chance {chance:.2f}), val loss {val:.2f}"


@scenario("cnn", expected=("output_loss_mismatch",), acceptable=DROPOUT_AFTER_OUTPUT_SIDE_EFFECTS,
          heldout=True, verify=training_outputs_not_distributions)
def heldout9_cnn_dropout_0_5_after_softmax_output(seed):
    return _run(True, seed)


@scenario("cnn", heldout=True, verify=heldout8_parts.trains_and_generalizes())
def heldout9_healthy_cnn_dropout_0_5_before_output_dense(seed):
    return _run(False, seed)
