"""Setup faults that cap or corrupt what the model can learn, named before any step: convolutions
whose strides skip input positions, dropout after the output's probabilities, and label smoothing
so strong the targets are nearly uniform."""

import math

import keras
import numpy as np
import pytest

from diagnostics import generalization
from diagnostics.remedies import Remedy
from diagnostics.remedy_edits import apply_remedies
from diagnostics.setup_model import MAX_LABEL_SMOOTHING, check_model
from tests.diagnostics._diagnosed_fit import fit_with_held_out_rows, scaled_digits
from zoo import build_resnet

L = keras.layers


def _cnn(strides, kernel=3, dilation=1):
    model = keras.Sequential([keras.Input((8, 8, 1)), L.Conv2D(16, kernel, strides=strides, dilation_rate=dilation,
                                                               activation="relu", name="conv"),
                              L.Flatten(), L.Dense(10, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    return model


def _evidence(model, key):
    return [f.evidence for f in check_model(model) if key in f.evidence]


@pytest.mark.parametrize("strides, kernel, dilation, skipped", [
    (8, 3, 1, 1 - (3 / 8) ** 2),   # 9 of every 64 pixels
    (4, 3, 1, 1 - (3 / 4) ** 2),
    ((4, 1), 3, 1, 1 - 3 / 4),     # only the rows skip
    (3, 3, 1, None),               # windows that touch
    (2, 3, 1, None),
    (4, 5, 1, None),               # a 5-pixel kernel: the windows overlap
])
def test_strides_beyond_the_kernel_s_reach_name_the_share_of_positions_never_read(strides, kernel, dilation, skipped):
    found = _evidence(_cnn(strides, kernel, dilation), "skipped_share")
    if skipped is None:
        assert found == []
    else:
        assert [e["skipped_share"] for e in found] == [pytest.approx(skipped)]


def test_a_transposed_convolution_striding_beyond_its_kernel_reads_every_input():
    model = keras.Sequential([keras.Input((4, 4, 8)), L.Conv2DTranspose(4, 2, strides=4), L.Flatten(),
                              L.Dense(10, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    assert _evidence(model, "skipped_share") == []


def test_a_strided_one_by_one_shortcut_beside_a_block_skips_nothing():
    model = build_resnet(input_shape=(16, 16, 3), num_classes=10)
    model.compile("adam", "sparse_categorical_crossentropy")
    assert _evidence(model, "skipped_share") == []


@pytest.mark.parametrize("noise, activation, found", [
    (lambda: L.Dropout(0.5), "softmax", True),
    (lambda: L.GaussianNoise(0.1), "sigmoid", True),
    (lambda: L.Dropout(0.5), "linear", False),          # logits: dropout there is unusual, not out of range
])
def test_dropout_or_noise_after_a_bounded_output_corrupts_what_the_loss_reads(noise, activation, found):
    units = 10 if activation != "sigmoid" else 1
    model = keras.Sequential([keras.Input((64,)), L.Dense(32, activation="relu"),
                              L.Dense(units, activation=activation, name="out"), noise()])
    model.compile("adam", "binary_crossentropy" if units == 1 else "sparse_categorical_crossentropy")
    findings = [f for f in check_model(model) if "noise_after_output" in f.evidence]
    assert [(f.kind, f.severity, f.evidence["output_activation"]) for f in findings] == (
        [("output_loss_mismatch", "error", activation)] if found else [])


def test_the_training_outputs_behind_that_dropout_are_no_probabilities():
    # What the finding claims, measured: in training the rows leave [0, 1] and do not sum to 1.
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((64,)), L.Dense(10, activation="softmax"), L.Dropout(0.5)])
    rows = np.asarray(model(np.random.default_rng(0).normal(size=(256, 64)).astype("float32"), training=True))
    assert np.abs(rows.sum(axis=1) - 1).mean() > 0.3 and rows.max() > 1.0


def _smoothed(smoothing, loss_class=keras.losses.CategoricalCrossentropy, units=10):
    model = keras.Sequential([keras.Input((64,)), L.Dense(units, activation="softmax" if units > 1 else "sigmoid")])
    model.compile("adam", loss_class(label_smoothing=smoothing))
    return model


@pytest.mark.parametrize("smoothing, found", [(0.9, True), (MAX_LABEL_SMOOTHING, True), (0.3, False), (0.1, False)])
def test_label_smoothing_of_a_half_or_more_is_named_with_what_the_true_class_keeps(smoothing, found):
    evidence = _evidence(_smoothed(smoothing), "label_smoothing")
    assert [e["true_class_target"] for e in evidence] == ([pytest.approx(1 - smoothing + smoothing / 10)]
                                                          if found else [])


def test_binary_label_smoothing_keeps_one_minus_half_of_it():
    [evidence] = _evidence(_smoothed(0.8, keras.losses.BinaryCrossentropy, units=1), "label_smoothing")
    assert evidence["true_class_target"] == pytest.approx(0.6)


def test_its_remedy_sets_a_usual_smoothing_and_keeps_the_loss():
    model = _smoothed(0.9)
    plan = apply_remedies(model, [Remedy("set_loss", None, {"label_smoothing": 0.1}, "smooth less")])
    assert (type(plan.model.loss), plan.model.loss.label_smoothing) == (keras.losses.CategoricalCrossentropy, 0.1)
    assert model.loss.label_smoothing == 0.9


def test_a_loss_whose_drops_shrink_settles_above_half_of_chance():
    # Recorded: the CNN whose first convolution steps 8 on 8x8 digits (held-out split 9, seed 0).
    # Its pace would reach half of chance in 49 epochs, but each two epochs' drop is 0.45 of the
    # two before: it settles near 1.60, 69% of chance.
    loss = [2.2874, 2.2128, 2.0425, 1.8524, 1.733, 1.6772, 1.6507, 1.6349, 1.6241, 1.616]
    chance = math.log(10)
    assert generalization.detect_underfitting({"loss": loss}, chance) == []       # below 90% of chance
    [finding] = generalization.detect_underfitting({"loss": loss}, chance, lower=generalization.HELD_BACK_FRACTION)
    assert finding.evidence["ratio_to_chance"] == pytest.approx(1.616 / chance)
    steady = loss[:6] + [1.6772 - 0.03 * i for i in range(1, 5)]                  # still 0.03 an epoch
    assert generalization.detect_underfitting({"loss": steady}, chance, lower=generalization.HELD_BACK_FRACTION) == []


def _digit_images():
    x, y = scaled_digits()
    return x.reshape(-1, 8, 8, 1), y


def _fit_cnn(seed, strides):
    x, y = _digit_images()
    keras.utils.set_random_seed(seed)
    return fit_with_held_out_rows(_cnn(strides), x, y, epochs=20)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_first_convolution_striding_8_leads_the_underfitting_it_causes_and_stride_1_is_healthy(seed):
    history, diagnostics = _fit_cnn(seed, 8)
    chance = math.log(10)
    assert generalization.HELD_BACK_FRACTION * chance < history["loss"][-1] < 0.9 * chance  # the fault
    findings = diagnostics.findings
    assert findings[0].kind == "suspicious_config" and "skipped_share" in findings[0].evidence
    assert [f.kind for f in findings[1:]] == ["underfitting"] and findings[1].explained_by is not None
    history, diagnostics = _fit_cnn(seed, 1)
    assert history["loss"][-1] < 0.1 * chance and diagnostics.findings == []
