import json
import math

import pytest

from diagnostics import KINDS, Finding


def _finding(**overrides):
    fields = dict(
        kind="exploding_gradient",
        severity="error",
        epoch=3,
        layer="hidden_2",
        message="Gradient norm grew 1e4x in one epoch.",
        evidence={"grad_norm": 1e6, "ratio": float("inf"), "baseline": float("nan")},
        advice=["Clip the gradient norm.", "Lower the learning rate."],
    )
    fields.update(overrides)
    return Finding(**fields)


def test_contract_kinds_are_present():
    contract = {
        "vanishing_gradient", "exploding_gradient", "dead_relu", "saturation", "overfitting",
        "underfitting", "plateau", "saddle_point", "oscillation", "non_finite", "class_imbalance",
    }
    assert contract <= set(KINDS)


def test_round_trip_through_json_keeps_non_finite_evidence():
    finding = _finding()
    restored = Finding.from_dict(json.loads(json.dumps(finding.to_dict())))
    assert restored.kind == finding.kind and restored.layer == "hidden_2"
    assert restored.evidence["grad_norm"] == 1e6
    assert math.isinf(restored.evidence["ratio"])
    assert math.isnan(restored.evidence["baseline"])
    assert restored.advice == finding.advice


def test_str_names_kind_layer_and_epoch():
    text = str(_finding())
    assert "exploding_gradient" in text and "hidden_2" in text and "epoch 3" in text


@pytest.mark.parametrize(
    "field, value",
    [("kind", "vanished"), ("severity", "fatal"), ("epoch", -1), ("epoch", 1.5), ("epoch", True)],
)
def test_invalid_fields_are_rejected_with_received(field, value):
    with pytest.raises(ValueError, match=f"Received: {field}="):
        _finding(**{field: value})
