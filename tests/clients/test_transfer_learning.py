"""Transfer learning as the keras.io guide does it: a pretrained base frozen under a new head,
then fine-tuned; and the pitfall of unfreezing a base that holds BatchNormalization (in Keras 3,
`base.trainable = True` puts those layers back in training mode, even where the base was called
with `training=False`)."""

import math

import pytest

import keras
from tests.clients._client import (DIGIT_CLASSES, SEEDS, assert_healthy, assert_learned, fit_both, kinds,
                                   standardized_digits)

L = keras.layers


def _pretrained_base(batch_norm):
    """A 64-32 base trained for one epoch on the first half of the digits under a head of its own."""
    x, y = standardized_digits()
    layers = [keras.Input((64,)), L.Dense(32, name="base_dense")]
    layers += [L.BatchNormalization(name="base_bn")] if batch_norm else []
    base = keras.Sequential(layers + [L.Activation("relu")], name="base")
    pretraining = keras.Sequential([base, L.Dense(DIGIT_CLASSES)])
    pretraining.compile(keras.optimizers.Adam(0.01), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    pretraining.fit(x[:900], y[:900], batch_size=32, epochs=1, verbose=0)
    return base


def _transfer_model(base):
    inputs = keras.Input((64,))
    features = base(inputs, training=False)
    return keras.Model(inputs, L.Dense(DIGIT_CLASSES, name="head")(features))


def _compile(model, rate):
    model.compile(keras.optimizers.Adam(rate), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _fit(model, callbacks, epochs=3):
    x, y = standardized_digits()
    return model.fit(x[900:1500], y[900:1500], validation_data=(x[1500:], y[1500:]), batch_size=32, epochs=epochs,
                     verbose=0, callbacks=callbacks)


def _frozen_base_model(batch_norm):
    """A new head on a pretrained base that is frozen, compiled at Adam 0.01."""
    base = _pretrained_base(batch_norm=batch_norm)
    base.trainable = False
    return _compile(_transfer_model(base), 0.01)


@pytest.mark.parametrize("seed", SEEDS)
def test_frozen_base_under_a_new_head(seed):
    diagnostics, _, (history,) = fit_both(lambda: _frozen_base_model(batch_norm=True), _fit, seed)
    assert_learned(history, math.log(DIGIT_CLASSES))
    assert_healthy(diagnostics)


@pytest.mark.parametrize("seed", SEEDS)
def test_fine_tuning_after_training_the_head(seed):
    def fit(model, callbacks):
        head = _fit(model, [], epochs=2)  # the head alone first, unobserved
        model.get_layer("base").trainable = True
        _compile(model, 1e-3)
        return [head, _fit(model, callbacks, epochs=2)]

    diagnostics, _, (_, fine_tuned) = fit_both(lambda: _frozen_base_model(batch_norm=False), fit, seed)
    assert_learned(fine_tuned, math.log(DIGIT_CLASSES))
    assert_healthy(diagnostics)


@pytest.mark.parametrize("seed", SEEDS)
def test_unfrozen_base_with_batch_normalization_is_named(seed):
    def build():
        base = _pretrained_base(batch_norm=True)
        base.trainable = False
        model = _transfer_model(base)
        base.trainable = True  # the pitfall: base_bn trains again on the new data's batches
        return _compile(model, 1e-3)

    diagnostics, _, _ = fit_both(build, _fit, seed)
    config = [finding for finding in diagnostics.findings if finding.kind == "suspicious_config"]
    assert any("base_bn" in (finding.layer or "") + finding.message for finding in config), diagnostics.findings
    assert "underfitting" not in kinds(diagnostics)
