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


def test_remedies_give_the_advice_and_round_trip():
    from diagnostics.remedies import Remedy

    remedies = [Remedy("clip_gradients", params={"clipnorm": 1.0}, sentence="Clip the gradient norm."),
                Remedy("fix_data", sentence="Check the inputs.", applicable=False)]
    finding = _finding(advice=[], remedies=remedies, explained_by="oscillation")
    assert finding.advice == ["Clip the gradient norm.", "Check the inputs."]
    restored = Finding.from_dict(json.loads(json.dumps(finding.to_dict())))
    assert restored.remedies == remedies and restored.explained_by == "oscillation"
    assert restored.advice == finding.advice
    # Advice given explicitly stays as given.
    assert _finding(remedies=remedies).advice == ["Clip the gradient norm.", "Lower the learning rate."]
    # Remedies may come as their dicts (a run.json), and become Remedy objects.
    assert _finding(remedies=[remedies[0].to_dict()]).remedies == remedies[:1]


def test_records_without_remedies_still_load():
    data = _finding().to_dict()
    del data["remedies"], data["explained_by"]
    restored = Finding.from_dict(data)
    assert restored.remedies == [] and restored.explained_by is None


def test_bad_remedies_and_explained_by_are_rejected_with_received():
    with pytest.raises(TypeError, match="Received: remedies="):
        _finding(remedies=["clip"])
    with pytest.raises(ValueError, match="Received: explained_by='bad_luck'"):
        _finding(explained_by="bad_luck")
