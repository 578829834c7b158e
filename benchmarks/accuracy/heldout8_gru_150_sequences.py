"""Held out (eighth split): two GRU(128) layers on 150 training sequences, many epochs, no
regularization.

The fault. A user trains a sequence classifier (digits read row by row: 8 steps of 8 pixels)
with two stacked `GRU(128)` layers, about 150,000 weights, on only 150 training sequences, for
80 epochs with `Adam(3e-3)` and nothing against overfitting. The training loss falls to near 0
as the network memorizes the 150 sequences, while the validation loss bottoms out early and
then climbs. The run must show a final validation loss more than 10% above its minimum while
the training loss ends below that minimum.

Expected: `overfitting` (the model memorizes its few training sequences; the validation loss
climbs).
Acceptable: none (the fit itself is healthy; only generalization fails).

The healthy twin adds `dropout=0.3, recurrent_dropout=0.0` to both GRUs and
`keras.callbacks.EarlyStopping(patience=5, restore_best_weights=True)` (the fix). It must
train well: its restored model's validation loss within 10% of the best epoch's and below half
of chance.
"""

import keras
from keras import layers, optimizers

from benchmarks.accuracy import data, heldout8_parts, measure
from benchmarks.accuracy.scenario import Run, scenario

N_TRAIN = 150
UNITS = 128
EPOCHS = 80
PATIENCE = 5
DROPOUT = 0.3
# The restored model is the best epoch's: its validation loss is at most 10% above the minimum.
RESTORED_RISE = 0.1


def _run(dropout, callbacks, seed):
    (x, y), val = data.digit_rows(seed, n_train=N_TRAIN)
    model = keras.Sequential([keras.Input((8, 8)),
                              layers.GRU(UNITS, return_sequences=True, dropout=dropout, recurrent_dropout=0.0),
                              layers.GRU(UNITS, dropout=dropout, recurrent_dropout=0.0),
                              layers.Dense(10, activation="softmax")])
    return Run(model, optimizers.Adam(3e-3), "sparse_categorical_crossentropy", x, y,
               epochs=EPOCHS, validation_data=val, callbacks=tuple(callbacks))


def restored_model_validates(trained):
    """The model after `fit` has a validation loss within `RESTORED_RISE` of the history's
    minimum and below half of the validation labels' chance loss."""
    now = heldout8_parts.validation_loss_now(trained)
    best = min(trained.history["val_loss"])
    chance = measure.label_entropy(trained.run.validation_data[1])
    return now <= (1 + RESTORED_RISE) * best and now < measure.FAILING_LOSS_SHARE * chance, \
        f"validation loss now {now:.3f}, best epoch {best:.3f}, chance {chance:.3f}"


@scenario("rnn", expected=("overfitting",), heldout=True, verify=measure.overfits())
def heldout8_rnn_two_gru_128_on_150_sequences(seed):
    return _run(0.0, [], seed)


@scenario("rnn", heldout=True, verify=restored_model_validates)
def heldout8_healthy_rnn_two_gru_dropout_early_stopping(seed):
    stop = keras.callbacks.EarlyStopping(patience=PATIENCE, restore_best_weights=True)
    return _run(DROPOUT, [stop], seed)
