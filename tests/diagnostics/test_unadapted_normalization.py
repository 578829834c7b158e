"""A `Normalization` layer that was never adapted passes the raw values on: its input is judged
as raw (and the finding names the layer), while an adapted one, or one given its mean and
variance, normalizes."""

import keras
import numpy as np
import pytest
from sklearn.datasets import make_classification

from diagnostics import check_setup
from diagnostics.setup_model import is_unadapted
from tests.diagnostics._diagnosed_fit import diagnosed_fit

L = keras.layers
SCALES = np.array([1.0, 3.0, 10.0, 30.0, 100.0, 300.0, 1000.0, 3000.0])


def _table(seed, rows=1500):
    """Four classes over eight features on scales from 1 to 3,000, shifted off zero."""
    x, y = make_classification(n_samples=rows, n_features=8, n_informative=6, n_redundant=0, n_classes=4,
                               class_sep=1.5, random_state=seed)
    return (x * SCALES + 5 * SCALES).astype("float32"), y


def _model(normalization, functional=False):
    layers = [normalization, L.Dense(32, activation="relu"), L.Dense(32, activation="relu"),
              L.Dense(4, activation="softmax")]
    if not functional:
        return keras.Sequential([keras.Input((8,))] + layers)
    inputs = keras.Input((8,))
    h = inputs
    for layer in layers:
        h = layer(h)
    return keras.Model(inputs, h)


def _adapted(x):
    layer = L.Normalization(name="norm")
    layer.adapt(x)
    return layer


def _scale_findings(model, x, y):
    model.compile("adam", "sparse_categorical_crossentropy")
    return [f for f in check_setup(model, x, y) if f.kind == "unnormalized_input"]


@pytest.mark.parametrize("functional", [False, True], ids=["sequential", "functional"])
def test_the_input_behind_a_never_adapted_normalization_is_judged_raw_and_the_layer_named(functional):
    x, y = _table(0)
    [finding] = _scale_findings(_model(L.Normalization(name="norm"), functional), x, y)
    assert finding.evidence["unadapted_normalization"] == "norm"
    assert finding.evidence["input_max_abs"] == pytest.approx(float(np.abs(x).max()))
    assert "never adapted" in finding.message


@pytest.mark.parametrize("normalization", [
    lambda x: _adapted(x),
    lambda x: L.Normalization(mean=x.mean(axis=0), variance=x.var(axis=0)),
], ids=["adapted", "given_mean_and_variance"])
def test_a_normalization_that_normalizes_leaves_the_inputs_alone(normalization):
    x, y = _table(0)
    model = _model(normalization(x))
    assert not is_unadapted(model.layers[0])
    assert _scale_findings(model, x, y) == []


def test_only_a_built_never_adapted_normalization_counts_as_unadapted():
    layer = L.Normalization()
    assert not is_unadapted(layer)            # not built: nothing to tell yet
    layer.build((None, 8))
    assert is_unadapted(layer)
    inverted = L.Normalization(invert=True)
    inverted.build((None, 8))
    assert not is_unadapted(inverted)         # a de-normalizer on an output is another matter
    assert not is_unadapted(L.Dense(3))


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_never_adapted_normalization_leads_with_adapting_it_and_the_adapted_twin_is_healthy(seed):
    x, y = _table(seed)
    history, findings = diagnosed_fit(lambda: _model(L.Normalization(name="norm")), x, y, seed=seed, epochs=8)
    faulty_val_loss = history["val_loss"][-1]
    lead = findings[0]
    assert lead.kind == "unnormalized_input" and lead.evidence["unadapted_normalization"] == "norm"
    assert lead.remedies[0].action == "standardize_inputs" and "norm.adapt(x_train)" in lead.remedies[0].sentence
    history, findings = diagnosed_fit(lambda: _model(_adapted(x)), x, y, seed=seed, epochs=8)
    assert history["val_loss"][-1] < 0.7 * faulty_val_loss and findings == []
