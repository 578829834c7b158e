"""Inputs of a few thousandths (pixels divided by 255 twice), also when the model's own Rescaling
makes them so: a hypothesis that stands beside the stall it explains, and only there."""

import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits

from diagnostics.setup_data import SMALL_INPUT_SCALE, check_inputs
from diagnostics.setup_model import InputSetup, describe_model
from tests.diagnostics._diagnosed_fit import diagnosed_fit

L = keras.layers
PIXELS = np.random.default_rng(0).uniform(0, 255, size=(200, 8, 8, 1))


def _cnn(rescale):
    first = [L.Rescaling(rescale)] if rescale is not None else []
    return keras.Sequential([keras.Input((8, 8, 1)), *first, L.Conv2D(8, 3, activation="relu"),
                             L.Flatten(), L.Dense(10, activation="softmax")])


def test_a_rescaling_first_is_described_with_its_scale_and_offset():
    [scaled], _ = describe_model(_cnn(1 / 255))
    assert (scaled.treatment, scaled.rescaling) == ("normalized", (pytest.approx(1 / 255), 0.0))
    [raw], _ = describe_model(_cnn(None))
    assert raw.rescaling == ()


@pytest.mark.parametrize("setup, rows, expected", [
    (InputSetup("x", "raw"), PIXELS / 255 / 255, {"small_input_scale": SMALL_INPUT_SCALE}),
    (InputSetup("x", "normalized", rescaling=(1 / 255, 0.0)), PIXELS / 255,
     {"small_input_scale": SMALL_INPUT_SCALE, "after_rescaling": True}),
])
def test_inputs_of_a_few_thousandths_are_a_hypothesis_that_needs_a_consequence(setup, rows, expected):
    [finding] = check_inputs([setup], [rows])
    assert finding.kind == "unnormalized_input" and finding.layer == "x"
    scale = setup.rescaling[0] if setup.rescaling else 1.0
    assert finding.evidence["input_max_abs"] == pytest.approx(np.abs(rows).max() * scale)
    assert {key: finding.evidence[key] for key in expected} == expected
    assert finding.evidence["needs_consequence"] is True


@pytest.mark.parametrize("setup, rows", [
    (InputSetup("x", "normalized", rescaling=(1 / 255, 0.0)), PIXELS),   # divided once, by the model
    (InputSetup("x", "raw"), PIXELS / 255),                              # divided once, before fit
    (InputSetup("x", "normalized"), PIXELS / 255 / 255),                 # a Normalization adapts to any scale
])
def test_no_finding_for_inputs_near_unit_scale_or_normalized_by_the_model(setup, rows):
    assert check_inputs([setup], [rows]) == []


def _fit(rescale, seed):
    x, y = load_digits(return_X_y=True)
    x = (x.reshape(-1, 8, 8, 1) * 255.0 / 16.0 / 255.0).astype("float32")  # pixels in [0, 1]
    return diagnosed_fit(lambda: keras.Sequential([keras.Input((8, 8, 1)), L.Rescaling(rescale),
                                                   L.Conv2D(16, 3, padding="same", activation="relu"),
                                                   L.Conv2D(32, 3, padding="same", activation="relu"),
                                                   L.Flatten(), L.Dense(10, activation="softmax")]),
                         x, y, seed, epochs=6)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_second_division_inside_the_model_leads_and_one_division_is_healthy(seed):
    history, findings = _fit(1 / 255, seed)
    faulty_loss = history["loss"][-1]
    lead, *effects = findings
    assert lead.kind == "unnormalized_input" and lead.evidence.get("after_rescaling") is True
    assert effects and all(f.explained_by == "unnormalized_input" for f in effects)
    assert (lead.remedies[0].action, lead.remedies[0].params["method"]) == ("standardize_inputs", "rescale")
    assert lead.remedies[0].params["scale"] == pytest.approx(255.0, rel=0.02)
    history, findings = _fit(1.0, seed)
    assert findings == [] and history["loss"][-1] < faulty_loss / 4  # it happened: the twin learns
