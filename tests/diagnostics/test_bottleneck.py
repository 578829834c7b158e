"""A layer far narrower than the output on the only path to it (a one-unit code for 64 pixels)
caps the fit: named beside the underfitting it explains, and nothing where the code is wide
enough or a skip connection goes around it."""

import keras
import numpy as np
import pytest

from diagnostics import judge
from diagnostics.setup_model import BOTTLENECK_SHARE, check_model
from tests.diagnostics._diagnosed_fit import TRAINING_ROWS, fit_with_held_out_rows, scaled_digits

L = keras.layers
EPOCHS = 30


def _autoencoder(code, pixels=64):
    return keras.Sequential([keras.Input((pixels,)), L.Dense(32, activation="relu"), L.Dense(code, name="code"),
                             L.Dense(32, activation="relu"), L.Dense(pixels, activation="sigmoid")])


def _classifier(width, classes=10):
    return keras.Sequential([keras.Input((64,)), L.Dense(width, activation="relu", name="narrow"),
                             L.Dense(classes, activation="softmax")])


def _found(model, loss="mse"):
    model.compile("adam", loss)
    return [(f.layer, f.evidence["bottleneck_units"], f.evidence["output_units"])
            for f in check_model(model) if "bottleneck_units" in f.evidence]


@pytest.mark.parametrize("build, loss, expected", [
    (lambda: _autoencoder(1), "mse", [("code", 1, 64)]),
    (lambda: _autoencoder(64 // BOTTLENECK_SHARE - 1), "mse", [("code", 15, 64)]),
    (lambda: _autoencoder(64 // BOTTLENECK_SHARE), "mse", []),       # a quarter of the output: wide enough
    (lambda: _classifier(2), "sparse_categorical_crossentropy", [("narrow", 2, 10)]),
    (lambda: _classifier(3), "sparse_categorical_crossentropy", []),
    (lambda: _classifier(3, classes=100), "sparse_categorical_crossentropy", []),   # logits of rank 3 still rank 100
    (lambda: _classifier(3, classes=100), "mse", [("narrow", 3, 100)]),            # 100 numbers from 3
], ids=["one_unit_code", "fifteen_unit_code", "sixteen_unit_code", "two_units_for_ten_classes", "three_units",
        "three_units_for_a_hundred_classes", "three_units_for_a_hundred_targets"])
def test_the_narrowest_layer_on_the_only_path_is_named_under_a_quarter_of_the_output(build, loss, expected):
    assert _found(build(), loss) == expected


def test_a_narrow_layer_a_skip_connection_goes_around_is_no_bottleneck():
    inputs = keras.Input((64,))
    wide = L.Dense(32, activation="relu")(inputs)
    code = L.Dense(32, activation="relu")(L.Dense(1, name="code")(wide))
    outputs = L.Dense(64, activation="sigmoid")(L.Add()([wide, code]))
    assert _found(keras.Model(inputs, outputs)) == []


def test_a_linear_code_narrower_than_both_neighbours_is_no_wasted_layer():
    model = _autoencoder(1)
    model.compile("adam", "mse")
    assert [f for f in check_model(model) if "stacked_linear_layers" in f.evidence] == []
    as_wide = keras.Sequential([keras.Input((64,)), L.Dense(64, name="linear"), L.Dense(64, activation="relu"),
                                L.Dense(10, activation="softmax")])
    as_wide.compile("adam", "sparse_categorical_crossentropy")
    assert [f.layer for f in check_model(as_wide) if "stacked_linear_layers" in f.evidence] == ["linear"]


def _fit(seed, code):
    x, _ = scaled_digits()
    keras.utils.set_random_seed(seed)
    model = _autoencoder(code)
    model.compile(keras.optimizers.Adam(1e-3), "mse")
    return fit_with_held_out_rows(model, x, x, EPOCHS)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_one_unit_code_leads_the_underfitting_and_a_sixteen_unit_one_is_healthy(seed):
    history, diagnostics = _fit(seed, 1)
    x, _ = scaled_digits()
    mean_image_error = float(np.mean(np.var(x[:TRAINING_ROWS], axis=0)))
    assert history["loss"][-1] > 0.8 * mean_image_error  # the fault: it reconstructs little more than the mean
    findings = diagnostics.findings
    assert (findings[0].kind, findings[0].layer) == ("suspicious_config", "code")
    assert [f.kind for f in findings[1:]] == ["underfitting"] and findings[1].explained_by is not None
    assert judge(diagnostics.run())[0].evidence == findings[0].evidence  # the offline verdict agrees
    history, diagnostics = _fit(seed, 16)
    assert history["loss"][-1] < 0.5 * mean_image_error and diagnostics.findings == []
