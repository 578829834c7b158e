"""Layers held at an exactly zero gradient by the data they read (a siamese pair fed one image
twice: |a - b| is 0, and so is its slope), named as a zero_gradient that leads, and nothing where
dead units or a zero start already explain the zeros."""

import keras
import numpy as np
import pytest

from diagnostics import gradients, judge
from tests.diagnostics._diagnosed_fit import fit_with_held_out_rows, scaled_digits

L = keras.layers
HEAD = [0.06, 0.08, 0.11, 0.08, 0.06]


def test_layers_at_exactly_zero_below_a_moving_one_are_named():
    history = {"grad_norm/enc": [0.0] * 5, "grad_norm/enc_1": [0.0] * 5, "grad_norm/head": HEAD}
    [finding] = gradients.detect_still_layers(history)
    assert (finding.kind, finding.layer) == ("zero_gradient", "enc_1")
    assert finding.evidence["still_layers"] == ["enc", "enc_1"]
    moved_once = dict(history, **{"grad_norm/enc": [0.0, 1e-9, 0.0, 0.0, 0.0]})
    assert gradients.detect_still_layers(moved_once)[0].evidence["still_layers"] == ["enc_1"]
    assert gradients.detect_still_layers({"grad_norm/enc": [0.0] * 5, "grad_norm/head": [0.0] * 5}) == []
    vanished_above = dict(history, **{"grad_norm/head": [1e-12] * 5, "grad_norm/out": HEAD})
    assert gradients.detect_still_layers(vanished_above) == []   # the layer above gets nothing either


def _record(history, setup_layers=(), dead=None):
    history = {"loss": [0.6932, 0.6931, 0.6931, 0.6931, 0.693], **history}
    if dead is not None:
        history["dead_frac/enc"] = dead
    return {"history": history,
            "meta": {"monitors": ["GradientMonitor", "ActivationMonitor"], "chance_loss": float(np.log(2)),
                     "setup": {"layers": list(setup_layers)}},
            "extras": {"GradientMonitor": {"layers": ["enc", "head"]}, "ActivationMonitor": {}}}


def test_the_judge_leaves_zeros_that_dead_units_or_a_zero_start_explain_to_their_findings():
    still = {"grad_norm/enc": [0.0] * 5, "grad_norm/head": HEAD}
    assert [f.evidence.get("still_layers") for f in judge(_record(still))] == [["enc"]]
    assert not any("still_layers" in f.evidence for f in judge(_record(still, dead=[1.0] * 5)))
    zero_start = [{"name": "enc", "kernel_zero": True}]
    assert not any("still_layers" in f.evidence for f in judge(_record(still, setup_layers=zero_start)))


def _siamese():
    left, right = keras.Input((64,)), keras.Input((64,))
    encoder = keras.Sequential([keras.Input((64,)), L.Dense(32, activation="relu"), L.Dense(16)])
    distance = keras.ops.abs(encoder(left) - encoder(right))
    model = keras.Model([left, right], L.Dense(1, activation="sigmoid")(distance))
    model.compile(keras.optimizers.Adam(1e-3), "binary_crossentropy")
    return model


def _partners(y, rng):
    """For each row, a row of the same digit (half of them, at random) or of another digit."""
    same = rng.random(len(y)) < 0.5
    by_digit = {digit: np.flatnonzero(y == digit) for digit in range(10)}
    others = {digit: np.flatnonzero(y != digit) for digit in range(10)}
    return np.array([rng.choice(by_digit[label] if match else others[label]) for label, match in zip(y, same)])


def _fit(seed, same_image):
    x, y = scaled_digits()
    partner = _partners(y, np.random.default_rng(seed))
    pairs = [x, x if same_image else x[partner]]
    keras.utils.set_random_seed(seed)
    return fit_with_held_out_rows(_siamese(), pairs, (y == y[partner]).astype("float32"), epochs=6)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_siamese_pair_of_one_image_leads_with_its_still_encoder(seed):
    _, diagnostics = _fit(seed, same_image=True)
    first = diagnostics.findings[0]
    assert (first.kind, first.severity) == ("zero_gradient", "error") and first.evidence["still_layers"]
    assert first.remedies[0].action == "fix_data"
    _, diagnostics = _fit(seed, same_image=False)
    assert not any("still_layers" in f.evidence for f in diagnostics.findings)
