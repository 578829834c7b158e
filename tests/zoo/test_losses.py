"""Imbalance losses and weights against NumPy references; DRW through its callback."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from callbacks.deferred_reweighting import DeferredReweighting
from zoo.losses import BalancedSoftmaxLoss, LDAMLoss, LogitAdjustedLoss, effective_number_class_weights

COUNTS = [500, 50, 5]


def _log_softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def _batch(seed=0, n=16):
    rng = np.random.RandomState(seed)
    return rng.randint(0, 3, size=n), rng.normal(size=(n, 3)).astype(np.float32)


def test_effective_number_weights_match_the_formula():
    beta = 0.99
    weights = effective_number_class_weights(class_counts=COUNTS, beta=beta)
    raw = (1 - beta) / (1 - beta ** np.array(COUNTS, float))
    np.testing.assert_allclose([weights[c] for c in range(3)], raw * 3 / raw.sum(), rtol=1e-12)
    assert weights[2] > weights[1] > weights[0]


def test_effective_number_weights_from_labels_and_the_limits_of_beta():
    y = np.repeat([0, 1, 2], COUNTS)
    assert effective_number_class_weights(y, beta=0.99) == effective_number_class_weights(class_counts=COUNTS, beta=0.99)
    assert set(effective_number_class_weights(y, beta=0.0).values()) == {1.0}
    inverse = effective_number_class_weights(y, beta=1 - 1e-9)
    assert inverse[2] / inverse[0] == pytest.approx(100, rel=1e-3)  # beta -> 1: inverse frequency
    labels = {"a": 10, "b": 90}
    assert set(effective_number_class_weights(class_counts=labels)) == {"a", "b"}


def test_effective_number_weights_work_as_fit_class_weight():
    # One full-batch SGD step with `class_weight=` against the same step in NumPy: the loss is
    # the batch mean of w[y_i] * cross-entropy_i, and so is the gradient that moves the weights.
    rng = np.random.RandomState(0)
    counts = np.array([60, 20, 10])
    y = np.repeat([0, 1, 2], counts)
    x = rng.normal(size=(90, 4)).astype(np.float32)
    kernel, bias = rng.normal(scale=0.5, size=(4, 3)), rng.normal(scale=0.5, size=3)
    beta, learning_rate = 0.9999, 0.5
    raw = (1 - beta) / (1 - beta**counts)
    expected_weights = raw * 3 / raw.sum()
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    model.set_weights([kernel.astype(np.float32), bias.astype(np.float32)])
    model.compile(keras.optimizers.SGD(learning_rate), keras.losses.SparseCategoricalCrossentropy(from_logits=True))

    history = model.fit(x, y, class_weight=effective_number_class_weights(y, beta=beta), batch_size=90, epochs=1, verbose=0)

    log_p = _log_softmax(x.astype(float) @ kernel + bias)
    per_sample = expected_weights[y] / len(y)
    assert history.history["loss"][0] == pytest.approx(-(per_sample * log_p[np.arange(90), y]).sum(), rel=1e-5)
    d_logits = (np.exp(log_p) - np.eye(3)[y]) * per_sample[:, None]
    new_kernel, new_bias = model.get_weights()
    np.testing.assert_allclose(new_kernel, kernel - learning_rate * x.T.astype(float) @ d_logits, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(new_bias, bias - learning_rate * d_logits.sum(axis=0), rtol=1e-4, atol=1e-6)


def test_effective_number_bad_input():
    for bad in [dict(class_counts=[5, 0]), dict(class_counts=[3]), dict(y=np.array([0.5, 1.0])), dict()]:
        with pytest.raises(ValueError, match="Received:"):
            effective_number_class_weights(**bad)


def test_logit_adjusted_loss_matches_numpy():
    y, logits = _batch()
    prior = np.array(COUNTS) / sum(COUNTS)
    for tau in (0.0, 1.0, 2.5):
        expected = -_log_softmax(logits + tau * np.log(prior))[np.arange(len(y)), y].mean()
        assert float(LogitAdjustedLoss(COUNTS, tau=tau)(y, logits)) == pytest.approx(expected, rel=1e-5)
        one_hot = np.eye(3, dtype=np.float32)[y]
        assert float(LogitAdjustedLoss(COUNTS, tau=tau)(one_hot, logits)) == pytest.approx(expected, rel=1e-5)


def test_balanced_softmax_is_logit_adjustment_with_tau_one():
    y, logits = _batch(1)
    assert float(BalancedSoftmaxLoss(COUNTS)(y, logits)) == pytest.approx(float(LogitAdjustedLoss(COUNTS, tau=1.0)(y, logits)))


def test_ldam_loss_matches_numpy():
    y, logits = _batch(2)
    margins = np.array(COUNTS, float) ** -0.25
    margins *= 0.5 / margins.max()
    shifted = logits - np.eye(3)[y] * margins
    per_sample = -_log_softmax(10.0 * shifted)[np.arange(len(y)), y]
    for weights in (None, [0.2, 1.0, 3.0]):
        expected = per_sample if weights is None else per_sample * np.array(weights)[y]
        loss = LDAMLoss(COUNTS, max_margin=0.5, scale=10.0, class_weights=weights)
        assert float(loss(y, logits)) == pytest.approx(expected.mean(), rel=1e-5)


@pytest.mark.parametrize("loss", [LogitAdjustedLoss(COUNTS, tau=0.5), BalancedSoftmaxLoss(COUNTS), LDAMLoss(COUNTS, class_weights=[1, 2, 3])])
def test_losses_round_trip_through_config_and_keras_files(loss, tmp_path):
    y, logits = _batch(3)
    clone = keras.losses.deserialize(keras.losses.serialize(loss))
    assert type(clone) is type(loss)
    assert float(clone(y, logits)) == pytest.approx(float(loss(y, logits)))
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    model.compile("sgd", loss=loss)
    path = tmp_path / "model.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    assert type(restored.loss) is type(loss)


def test_loss_bad_arguments_are_named():
    with pytest.raises(ValueError, match="Received: class_counts="):
        LDAMLoss([10, 0])
    with pytest.raises(ValueError, match="Received: max_margin=0.0"):
        LDAMLoss(COUNTS, max_margin=0.0)
    with pytest.raises(ValueError, match="Received: tau=-1.0"):
        LogitAdjustedLoss(COUNTS, tau=-1.0)
    with pytest.raises(ValueError, match="Received: class_weights="):
        LDAMLoss(COUNTS).set_class_weights([1.0, 2.0])


def test_deferred_reweighting_switches_the_ldam_weights_during_fit():
    rng = np.random.RandomState(0)
    y = np.repeat([0, 1, 2], [60, 20, 10])
    x = rng.normal(size=(90, 4)).astype(np.float32)
    loss = LDAMLoss([60, 20, 10], scale=1.0)
    seen = []
    record = keras.callbacks.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(loss.class_weights.numpy().copy()))
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    model.compile(keras.optimizers.SGD(learning_rate=0.0), loss=loss)  # a frozen model
    history = model.fit(x, y, epochs=3, batch_size=30, verbose=0, callbacks=[DeferredReweighting(2, beta=0.99), record])
    np.testing.assert_array_equal(seen[0], [1, 1, 1])
    expected = effective_number_class_weights(class_counts=[60, 20, 10], beta=0.99)
    np.testing.assert_allclose(seen[2], [expected[c] for c in range(3)], rtol=1e-6)
    # The compiled step sees the new weights: the reported loss is the re-weighted one.
    margins = np.array([60, 20, 10], float) ** -0.25
    shifted = model.predict(x, verbose=0) - np.eye(3)[y] * margins * (0.5 / margins.max())
    per_sample = -_log_softmax(shifted)[np.arange(90), y]
    assert history.history["loss"][1] == pytest.approx(per_sample.mean(), rel=1e-4)
    assert history.history["loss"][2] == pytest.approx((per_sample * seen[2][y]).mean(), rel=1e-4)


def test_deferred_reweighting_needs_a_reweightable_loss():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    with pytest.raises(ValueError, match="Received: loss="):
        model.fit(np.zeros((4, 4)), np.zeros(4), epochs=1, verbose=0, callbacks=[DeferredReweighting(0)])


def test_losses_against_keras_own_cross_entropy():
    # Each of our losses is Keras' sparse cross-entropy of transformed logits (an independent
    # implementation): tau = 0 is plain cross-entropy, balanced softmax adds log(prior), LDAM
    # subtracts the margins and scales, with its class weights as sample weights.
    y, logits = _batch(4)
    keras_ce = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    log_prior = np.log(np.array(COUNTS) / sum(COUNTS)).astype(np.float32)
    assert float(LogitAdjustedLoss(COUNTS, tau=0.0)(y, logits)) == pytest.approx(float(keras_ce(y, logits)), rel=1e-6)
    assert float(BalancedSoftmaxLoss(COUNTS)(y, logits)) == pytest.approx(float(keras_ce(y, logits + log_prior)), rel=1e-6)
    margins = np.array(COUNTS, float) ** -0.25
    shifted = 10.0 * (logits - np.eye(3)[y] * margins * (0.5 / margins.max()))
    weights = np.array([0.2, 1.0, 3.0])
    expected = keras_ce(y, shifted.astype(np.float32), sample_weight=weights[y])
    loss = LDAMLoss(COUNTS, max_margin=0.5, scale=10.0, class_weights=weights)
    assert float(loss(y, logits)) == pytest.approx(float(expected), rel=1e-5)


def test_losses_saved_under_the_old_package_name_still_load():
    loss = LDAMLoss(COUNTS, class_weights=[1, 2, 3])
    config = keras.saving.serialize_keras_object(loss)
    assert config["registered_name"] == "zoo_diagnostics>LDAMLoss"
    config["registered_name"] = "zoo>LDAMLoss"  # as development snapshots wrote it
    restored = keras.saving.deserialize_keras_object(config)
    assert type(restored) is LDAMLoss
    np.testing.assert_array_equal(restored.class_weights.numpy(), [1, 2, 3])


@pytest.mark.slow
def test_ldam_with_deferred_reweighting_under_mirrored_strategy(mirrored_strategy):
    rng = np.random.RandomState(0)
    y = np.repeat([0, 1], [48, 16])
    x = rng.normal(size=(64, 4)).astype(np.float32)
    with mirrored_strategy.scope():
        loss = LDAMLoss([48, 16], scale=1.0)
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
        model.compile("sgd", loss=loss)
    history = model.fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[DeferredReweighting(1)])
    assert np.isfinite(history.history["loss"]).all()
    assert loss.class_weights.numpy()[1] > loss.class_weights.numpy()[0]
