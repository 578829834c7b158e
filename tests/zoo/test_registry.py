import pytest

from zoo import registry


def test_register_build_and_list(monkeypatch):
    monkeypatch.setattr(registry, "_BUILDERS", {})
    monkeypatch.setattr(registry, "_SPECS", {})

    @registry.register_model("toy", task="generative", small_kwargs={"width": 2})
    def build_toy(width=1):
        return ("toy", width)

    assert registry.list_models() == ["toy"]
    assert registry.build("toy", width=3) == ("toy", 3)
    assert registry.get_spec("toy").small_kwargs == {"width": 2}
    assert registry.get_spec("toy").task == "generative"


def test_duplicate_and_unknown_names_are_rejected(monkeypatch):
    monkeypatch.setattr(registry, "_BUILDERS", {})
    monkeypatch.setattr(registry, "_SPECS", {})
    registry.register_model("toy")(lambda: None)
    with pytest.raises(ValueError, match="Received: name='toy'"):
        registry.register_model("toy")(lambda: None)
    with pytest.raises(ValueError, match="Received: name='nope'"):
        registry.build("nope")
    with pytest.raises(ValueError, match="Received: task='other'"):
        registry.register_model("x", task="other")


def test_build_passes_a_builders_own_name_argument(monkeypatch):
    monkeypatch.setattr(registry, "_BUILDERS", {})
    monkeypatch.setattr(registry, "_SPECS", {})
    registry.register_model("toy")(lambda name="default": name)
    assert registry.build("toy", name="my_toy") == "my_toy"


def test_classifier_builders_are_the_classification_and_sequence_ones(monkeypatch):
    monkeypatch.setattr(registry, "_BUILDERS", {})
    monkeypatch.setattr(registry, "_SPECS", {})
    for name, task in (("a", "classification"), ("b", "sequence"), ("c", "generative")):
        registry.register_model(name, task=task)(lambda: None)
    assert registry.list_models(classifiers=True) == ["a", "b"]
    assert registry.list_models() == ["a", "b", "c"]
    assert [registry.get_spec(name).classifier for name in "abc"] == [True, True, False]
