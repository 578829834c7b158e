"""Faults in the data: NaN injected into inputs or targets, long-tail and skewed labels."""

import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import data, measure, models
from benchmarks.accuracy.scenario import Run, scenario

SPARSE_CE = "sparse_categorical_crossentropy"
NAN_SHARE = 0.01
# Issue 10's long tail: one class at about 1/30 of the others.
LONG_TAIL_SHARE = 1 / 30
NAN_SIDE_EFFECTS = ("unnormalized_input", "label_mismatch")
IMBALANCE_SIDE_EFFECTS = ("label_mismatch",)


def with_nan(array, seed, share=NAN_SHARE):
    """A copy of `array` with `share` of its rows set to NaN at one random position each."""
    rng = np.random.default_rng(seed)
    array = array.copy()
    rows = rng.choice(len(array), max(1, int(len(array) * share)), replace=False)
    flat = array.reshape(len(array), -1)
    flat[rows, rng.integers(0, flat.shape[1], len(rows))] = np.nan
    return flat.reshape(array.shape)


def nan_inputs_run(model, split, seed):
    """`model` under Adam(1e-3) and sparse categorical cross-entropy for 5 epochs on `split`
    (`(x, y), val`), its training inputs passed through `with_nan` (validation left clean)."""
    (x, y), val = split
    return Run(model, optimizers.Adam(1e-3), SPARSE_CE, with_nan(x, seed), y, epochs=5,
               validation_data=val)


@scenario("mlp", expected=("non_finite",), acceptable=NAN_SIDE_EFFECTS,
          verify=measure.becomes_non_finite())
def mlp_regression_nan_targets(seed):
    (x, y), (x_val, y_val) = data.standardized("breast_cancer", seed)
    target, target_val = x[:, 0].copy(), x_val[:, 0]
    model = models.dense_stack(29, [32], "relu", output_units=1, output_activation=None)
    return Run(model, optimizers.Adam(1e-3), "mse", x[:, 1:], with_nan(target, seed), epochs=5,
               validation_data=(x_val[:, 1:], target_val))


@scenario("cnn", expected=("non_finite",), acceptable=NAN_SIDE_EFFECTS,
          verify=measure.becomes_non_finite())
def cnn_nan_pixels(seed):
    split = data.digits(seed, image=True)
    return nan_inputs_run(models.conv_stack([16], "relu"), split, seed)


@scenario("rnn", expected=("non_finite",), acceptable=NAN_SIDE_EFFECTS,
          verify=measure.becomes_non_finite())
def lstm_nan_in_sequences(seed):
    split = data.digit_rows(seed)
    return nan_inputs_run(models.recurrent(layers.LSTM, 32), split, seed)


@scenario("mlp", expected=("class_imbalance",), acceptable=IMBALANCE_SIDE_EFFECTS,
          verify=measure.labels_skewed())
def mlp_long_tail_digits(seed):
    (x, y), val = data.digits(seed)
    x, y = data.long_tail(x, y, seed, rare_class=seed % 10, rare_share=LONG_TAIL_SHARE)
    model = models.dense_stack(64, [64], "relu")
    return Run(model, optimizers.Adam(1e-3), SPARSE_CE, x, y, epochs=6, validation_data=val)


@scenario("cnn", expected=("class_imbalance",), acceptable=IMBALANCE_SIDE_EFFECTS,
          verify=measure.labels_skewed())
def cnn_long_tail_digits(seed):
    (x, y), val = data.digits(seed, image=True)
    x, y = data.long_tail(x, y, seed, rare_class=(seed + 3) % 10, rare_share=LONG_TAIL_SHARE)
    model = models.conv_stack([16], "relu")
    return Run(model, optimizers.Adam(1e-3), SPARSE_CE, x, y, epochs=6, validation_data=val)


@scenario("rnn", expected=("class_imbalance",), acceptable=IMBALANCE_SIDE_EFFECTS,
          verify=measure.labels_skewed(0.2))
def gru_86_percent_negatives(seed):
    (x, y), (x_val, y_val) = data.digit_rows(seed)
    # "Is it an 8 or a 9?" against every other digit, the positives thinned to 14%.
    positive, positive_val = np.isin(y, (8, 9)), np.isin(y_val, (8, 9))
    keep = ~positive | (np.random.default_rng(seed).random(len(y)) < 0.65)
    model = models.recurrent(layers.GRU, 8, output_units=1, output_activation="sigmoid")
    return Run(model, optimizers.Adam(1e-3), "binary_crossentropy", x[keep],
               positive[keep].astype("float32"), epochs=5,
               validation_data=(x_val, positive_val.astype("float32")))


@scenario("two_input", expected=("class_imbalance",), acceptable=IMBALANCE_SIDE_EFFECTS,
          verify=measure.labels_skewed())
def two_input_long_tail_digits(seed):
    (x, y), (x_val, y_val) = data.digits(seed)
    x, y = data.long_tail(x, y, seed, rare_class=(seed + 6) % 10, rare_share=LONG_TAIL_SHARE)
    model = models.two_input([32], "relu")
    return Run(model, optimizers.Adam(1e-3), SPARSE_CE, data.halves(x), y, epochs=6,
               validation_data=(data.halves(x_val), y_val))
