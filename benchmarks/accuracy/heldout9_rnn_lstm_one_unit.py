"""Held out (ninth split): `LSTM(1)` as the only recurrent layer of a ten-class classifier.

The fault. A user reads the digits row by row (8 time steps of 8 pixels) with
`keras.Sequential([LSTM(1), Dense(10, "softmax")])`, believing the LSTM's `units` is the number
of outputs per sample (one sequence in, one answer out), and trains it with Adam(1e-3). One
unit is the whole summary of the sequence: a single number in (-1, 1) from which a softmax head
must separate ten classes. A softmax over one scalar can only cut a line into intervals, so at
most a few digits whose summaries fall in distinct ranges are told apart; the loss falls a
little and stops far above what the twin reaches. The run must show a final training loss above
half of chance (the label entropy).

Expected: `underfitting` (the model cannot fit the training data: its capacity is one number).
Acceptable:
- `plateau`: the loss stops moving once the few separable classes are found;
- `saturation`: the single tanh output is pushed to its bounds to mark the classes at the ends
  of the line;
- `suspicious_config`: the cause is a setup value, a layer width of 1.

The healthy twin uses `LSTM(64)` (the fix). It must train well and generalize.
"""

from keras import layers, optimizers

from benchmarks.accuracy import data, heldout8_parts, measure, models
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 20
ONE_UNIT_SIDE_EFFECTS = ("plateau", "saturation", "suspicious_config")


def _run(units, seed):
    (x, y), val = data.digit_rows(seed)
    model = models.recurrent(layers.LSTM, units)
    return Run(model, optimizers.Adam(1e-3), "sparse_categorical_crossentropy", x, y, epochs=EPOCHS,
               validation_data=val, metrics=("accuracy",))


@scenario("rnn", expected=("underfitting",), acceptable=ONE_UNIT_SIDE_EFFECTS, heldout=True,
          verify=measure.fails_to_learn())
def heldout9_rnn_lstm_1_unit_ten_classes(seed):
    return _run(1, seed)


@scenario("rnn", heldout=True, verify=heldout8_parts.trains_and_generalizes())
def heldout9_healthy_rnn_lstm_64_units_ten_classes(seed):
    return _run(64, seed)
