"""Held out (ninth split): an LSTM forecasting a price series in raw units.

The fault. A user forecasts the next daily price of a stock from the 30 before it (generated:
random walks starting between 1,000 and 3,000, daily moves of spread 20, one window per
series) with `LSTM(32)` and `Dense(1)`, mean squared error and Adam(1e-3), feeding the prices as
they are and predicting them as they are. Inputs in the thousands drive every gate of the LSTM
to 0 or 1 and its state to +-1 from the first step: the layer's output carries almost nothing
of the price level, and the head would need weights in the thousands to produce prices from
outputs in (-1, 1), while Adam moves each weight by about 1e-3 per step. The loss starts near
the mean squared price (about 4e6) and is still far above the prices' variance (what predicting
their mean would score) after 20 epochs, whereas predicting the last price seen would score
about 400. The run must show inputs above 500 and a final training loss above half of the
targets' variance.

Expected: `unnormalized_input` (the root cause: inputs and targets on a scale of thousands).
Acceptable:
- `underfitting`: the model fits nothing of the series;
- `saturation`: the LSTM's gates and state sit at their bounds;
- `plateau`: the loss falls so slowly that it looks flat;
- `vanishing_gradient`: through saturated gates almost no gradient reaches the LSTM's kernel;
- `label_mismatch`: the targets' scale is far from what a linear head starting near 0 reaches.

The healthy twin standardizes inputs and targets with the training series' mean and spread
(the fix). It must train well: its final loss below half of the (standardized) targets'
variance.
"""

import keras
import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import data, measure
from benchmarks.accuracy.scenario import Run, scenario

SERIES = 1200
WINDOW = 30
DAILY_MOVE = 20.0
EPOCHS = 20
LARGE_INPUT = 500.0
RAW_PRICE_SIDE_EFFECTS = ("underfitting", "saturation", "plateau", "vanishing_gradient", "label_mismatch")


def price_windows(seed):
    """`(x, y), (x_val, y_val)`: `WINDOW` prices of shape `(n, WINDOW, 1)` and the next price,
    shape `(n, 1)`, one random walk per row."""
    rng = np.random.default_rng(seed)
    start = rng.uniform(1000, 3000, (SERIES, 1))
    walk = start + np.cumsum(rng.normal(0, DAILY_MOVE, (SERIES, WINDOW + 1)), axis=1)
    x, y = walk[:, :WINDOW, None].astype("float32"), walk[:, WINDOW:].astype("float32")
    return data.split(x, y, seed)


def _run(standardize, seed):
    (x, y), (x_val, y_val) = price_windows(seed)
    if standardize:
        mean, std = x.mean(), x.std()
        x, y, x_val, y_val = ((part - mean) / std for part in (x, y, x_val, y_val))
    model = keras.Sequential([keras.Input((WINDOW, 1)), layers.LSTM(32), layers.Dense(1)])
    return Run(model, optimizers.Adam(1e-3), "mean_squared_error", x, y, epochs=EPOCHS,
               validation_data=(x_val, y_val))


@scenario("rnn", expected=("unnormalized_input",), acceptable=RAW_PRICE_SIDE_EFFECTS, heldout=True,
          verify=measure.all_of(measure.fact(lambda run: np.max(run.x) > LARGE_INPUT, "inputs above 500"),
                                measure.fails_to_learn()))
def heldout9_rnn_lstm_on_raw_prices_in_thousands(seed):
    return _run(False, seed)


@scenario("rnn", heldout=True, verify=measure.trains_well())
def heldout9_healthy_rnn_lstm_on_standardized_prices(seed):
    return _run(True, seed)
