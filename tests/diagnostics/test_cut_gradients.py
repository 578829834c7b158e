"""Layers the loss cannot reach: `detect_cut_gradient` (an op with no gradient between layers) and
`detect_nothing_trainable` (a model with no trainable weight), on recorded series."""

import math

import numpy as np
import pytest

from diagnostics.gradients import VANISHING_RATIO, detect_cut_gradient, detect_nothing_trainable

NAN = math.nan
LAYERS = ["below_1", "below_2", "above", "output"]


def _history(below, above=(0.31, 0.30, 0.49), output=(0.27, 0.26, 0.41), nonfinite=0.0):
    """Three epochs of `grad_norm/<layer>`: both input-side layers at `below`, then `above`, `output`."""
    history = {f"grad_norm/{layer}": list(below) for layer in LAYERS[:2]}
    history.update({"grad_norm/above": list(above), "grad_norm/output": list(output)})
    history.update({f"nonfinite/{layer}": [nonfinite] * 3 for layer in LAYERS[:2]})
    return history


def test_layers_without_any_gradient_under_one_that_has_one_are_cut():
    [finding] = detect_cut_gradient(_history((NAN, NAN, NAN)), LAYERS)
    assert (finding.kind, finding.severity, finding.epoch, finding.layer) == ("zero_gradient", "error", 0, "below_2")
    assert finding.evidence["cut_layers"] == 2 and finding.evidence["gradient_above"] == "above"
    assert finding.evidence["reaching_ratio"] == pytest.approx(np.median([0.31 / 0.31, 0.30 / 0.30, 0.49 / 0.49]))


@pytest.mark.parametrize("history", [
    _history((NAN, NAN, NAN), nonfinite=2.0),                   # NaN because the gradients were not finite
    _history((NAN, NAN, 1e-3)),                                  # a gradient in the last epoch
    _history((0.0, 0.0, 0.0)),                                   # exactly zero: dead units or a zero start
    _history((NAN, NAN, NAN), above=(2e-5, 1e-5, 3e-5)),         # the gradient above had already vanished
    {f"grad_norm/{layer}": [0.0, 0.0, 0.0] for layer in LAYERS},  # every layer: detect_zero_gradient's
    {f"grad_norm/{layer}": [0.1, 0.2, 0.1] for layer in LAYERS},  # healthy
])
def test_gradients_that_reached_the_layers_or_vanished_on_the_way_are_no_cut(history):
    assert detect_cut_gradient(history, LAYERS) == []


def test_the_gradient_above_must_reach_a_thousandth_of_the_largest():
    largest = 0.5
    just = _history((NAN,) * 3, above=(largest * VANISHING_RATIO,) * 3, output=(largest,) * 3)
    under = _history((NAN,) * 3, above=(largest * VANISHING_RATIO / 2,) * 3, output=(largest,) * 3)
    assert len(detect_cut_gradient(just, LAYERS)) == 1 and detect_cut_gradient(under, LAYERS) == []


def test_a_model_with_nothing_to_train_is_a_zero_gradient():
    [finding] = detect_nothing_trainable(0)
    assert (finding.kind, finding.severity, finding.layer, finding.evidence) == (
        "zero_gradient", "error", None, {"trainable_weights": 0})
    assert detect_nothing_trainable(4) == [] and detect_nothing_trainable(None) == []
