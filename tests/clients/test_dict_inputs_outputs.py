"""A functional model with named inputs and named heads, fed and compiled with dicts: a loss, a
loss weight and metrics per head. Class counts need one target and one output, so the imbalance
check says it did not judge them; everything else is judged and healthy."""

import math

import pytest

import keras
from tests.clients._after_fit import assert_saves_loads_and_fits_again
from tests.clients._client import (DIGIT_CLASSES, SEEDS, assert_learned, assert_unjudged_is_skipped, digits, fit_both,
                                   recorded, skipped_monitors)

L = keras.layers
TRAIN_ROWS = 1400
MULTI_OUTPUT = "class counts need one target and one output"


def _build():
    left, right = keras.Input((32,), name="top"), keras.Input((32,), name="bottom")
    hidden = L.Dense(32, activation="relu", name="hidden")(L.Concatenate()([left, right]))
    heads = {"digit": L.Dense(DIGIT_CLASSES, name="digit")(hidden),
             "parity": L.Dense(1, activation="sigmoid", name="parity")(hidden)}
    model = keras.Model({"top": left, "bottom": right}, heads)
    model.compile(keras.optimizers.Adam(0.01),
                  loss={"digit": keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                        "parity": "binary_crossentropy"},
                  loss_weights={"digit": 1.0, "parity": 0.5},
                  metrics={"digit": ["accuracy"], "parity": ["accuracy"]})
    return model


def _named(x, y):
    """The digits' upper and lower four rows as two inputs; the digit and its parity as two targets."""
    return {"top": x[:, :32], "bottom": x[:, 32:]}, {"digit": y, "parity": (y % 2).astype("float32")}


@pytest.mark.parametrize("seed", SEEDS)
def test_dict_inputs_and_named_heads(seed, tmp_path):
    x, y = digits()
    models = []
    fit = recorded(models, lambda model, callbacks, epochs: model.fit(
        *_named(x[:TRAIN_ROWS], y[:TRAIN_ROWS]), validation_data=_named(x[TRAIN_ROWS:], y[TRAIN_ROWS:]),
        batch_size=32, epochs=epochs, verbose=0, callbacks=callbacks))

    diagnostics, _, (history,) = fit_both(_build, fit, seed, not_judged=[MULTI_OUTPUT])
    assert_learned(history, math.log(DIGIT_CLASSES) + 0.5 * math.log(2))
    assert {"digit_accuracy", "parity_accuracy", "val_digit_accuracy"} <= set(history)
    assert [str(finding) for finding in diagnostics.findings] == []
    assert skipped_monitors(diagnostics) == {"ImbalanceMonitor"}
    assert_unjudged_is_skipped(diagnostics)
    assert_saves_loads_and_fits_again(models[-1], _named(x[:64], y[:64])[0],
                                      lambda model, callbacks: fit(model, callbacks, epochs=1), tmp_path,
                                      not_judged=[MULTI_OUTPUT])
