"""Tests of the DCGAN: shapes, arguments, both players' training, losses, saving, distribution."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.datasets import load_digits
from zoo.models.dcgan import DCGAN

SMALL = {"input_shape": (8, 8, 1), "latent_dim": 8, "base_filters": 4, "seed": 3}


def _images(n=64, shape=(8, 8, 1), seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, size=(n,) + shape).astype("float32")


def _weights(model):
    return [np.array(w) for w in model.get_weights()]


def _changed(before, after):
    return any(not np.array_equal(b, a) for b, a in zip(before, after))


@pytest.mark.parametrize(
    "shape, stages",
    [((8, 8, 1), 2), ((28, 28, 1), 2), ((32, 32, 3), 3)],
)
def test_players_match_the_image_shape(shape, stages):
    gan = zoo.build_dcgan(input_shape=shape, latent_dim=5, base_filters=2)
    assert isinstance(gan, DCGAN)
    assert gan.generator.output_shape == (None,) + shape
    assert gan.generator.input_shape == (None, 5)
    assert gan.discriminator.input_shape == (None,) + shape
    assert gan.discriminator.output_shape == (None, 1)
    # Radford et al.: strides instead of pooling; BN, but not on G's output nor D's input.
    d_convs = [layer for layer in gan.discriminator.layers if isinstance(layer, keras.layers.Conv2D)]
    assert [layer.strides for layer in d_convs] == [(2, 2)] * stages
    assert not any("pool" in layer.name for layer in gan.generator.layers + gan.discriminator.layers)
    assert "discriminator_bn_0" not in [layer.name for layer in gan.discriminator.layers]
    assert gan.generator.layers[-1].name == "generator_tanh"


def test_compile_defaults_to_two_adams_that_lr_callbacks_adjust():
    gan = zoo.build_dcgan(**SMALL)
    gan.compile()
    d_opt, g_opt = gan.d_optimizer, gan.g_optimizer
    assert d_opt is not g_opt
    for optimizer in (d_opt, g_opt):
        assert isinstance(optimizer, keras.optimizers.Adam)
        assert float(optimizer.learning_rate) == pytest.approx(2e-4)
        assert optimizer.beta_1 == pytest.approx(0.5)
    # No hidden default optimizer: `model.optimizer` lists the two real ones.
    assert gan.optimizer.optimizers == [d_opt, g_opt]
    # Each optimizer holds state for its own player only.
    n_d = len(gan.discriminator.trainable_variables)
    n_g = len(gan.generator.trainable_variables)
    assert len(d_opt.variables) == 2 * n_d + 2 and len(g_opt.variables) == 2 * n_g + 2

    halve = keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5 if epoch else lr)
    gan.fit(_images(32), batch_size=16, epochs=2, verbose=0, callbacks=[halve])
    assert float(d_opt.learning_rate) == pytest.approx(1e-4)
    assert float(g_opt.learning_rate) == pytest.approx(1e-4)
    assert int(d_opt.iterations) == int(g_opt.iterations) == 4


def test_compile_rejects_a_shared_or_unknown_optimizer():
    gan = zoo.build_dcgan(**SMALL)
    shared = keras.optimizers.Adam()
    with pytest.raises(ValueError, match="Received: d_optimizer="):
        gan.compile(d_optimizer=shared, g_optimizer=shared)
    with pytest.raises(ValueError, match="Received: g_optimizer='no_such_optimizer'"):
        gan.compile(g_optimizer="no_such_optimizer")


def test_fit_on_unlabelled_arrays_then_a_dataset_trains_both_players():
    gan = zoo.build_dcgan(**SMALL)
    gan.compile(d_optimizer=keras.optimizers.SGD(0.05), g_optimizer="adam")
    images = _images(48)
    g_before, d_before = _weights(gan.generator), _weights(gan.discriminator)
    history = gan.fit(images, validation_data=(images[:16],), batch_size=16, epochs=1, verbose=0)
    history = history.history

    metrics = {"loss", "d_loss", "g_loss", "d_real", "d_fake"}
    assert set(history) == metrics | {f"val_{name}" for name in metrics}
    for key, values in history.items():
        assert np.all(np.isfinite(values)), key
    # The pitfall of a custom train_step: a `loss` of 0 because the tracker was skipped.
    assert history["loss"][-1] == pytest.approx(history["d_loss"][-1] + history["g_loss"][-1], rel=1e-5)
    assert all(0.0 < value < 1.0 for value in history["d_real"] + history["d_fake"])
    assert _changed(g_before, _weights(gan.generator))
    assert _changed(d_before, _weights(gan.discriminator))

    # A second fit, on a dataset of images alone, continues training.
    dataset = tf.data.Dataset.from_tensor_slices(images).batch(16)
    history = gan.fit(dataset, epochs=1, shuffle=False, verbose=0).history
    assert all(np.isfinite(values[-1]) for values in history.values())
    assert int(keras.ops.convert_to_numpy(gan.g_optimizer.iterations)) == 6

    # Calling the model scores images with the discriminator: probabilities.
    scores = gan.predict(images[:5], verbose=0)
    assert scores.shape == (5, 1) and np.all((scores > 0) & (scores < 1))


def test_non_saturating_loss_keeps_the_generator_learning_when_d_wins():
    """While D confidently rejects fakes, log(1 - D(G(z))) is flat and -log D(G(z)) is not."""
    updates = {}
    for loss in ("minimax", "non_saturating"):
        keras.utils.set_random_seed(0)
        gan = zoo.build_dcgan(**SMALL, generator_loss=loss)
        logit = gan.discriminator.get_layer("discriminator_logit")
        logit.bias.assign([-10.0])  # D(x) ~ 5e-5 for every input: D is sure all are fake.
        gan.compile(d_optimizer=keras.optimizers.SGD(1e-3), g_optimizer=keras.optimizers.SGD(0.1))
        before = [np.array(v) for v in gan.generator.trainable_variables]
        gan.fit(_images(16), batch_size=16, epochs=1, verbose=0)
        after = [np.array(v) for v in gan.generator.trainable_variables]
        updates[loss] = sum(np.abs(a - b).sum() for a, b in zip(after, before))
    assert updates["non_saturating"] > 100 * updates["minimax"] > 0


def test_generate_returns_repeatable_images_in_the_tanh_range():
    gan = zoo.build_dcgan(**SMALL)
    samples = gan.generate(5, seed=1)
    assert samples.shape == (5, 8, 8, 1)
    assert np.all(np.abs(samples) <= 1.0)
    np.testing.assert_array_equal(samples, gan.generate(5, seed=1))
    assert not np.array_equal(samples, gan.generate(5, seed=2))
    assert gan.generate(7, batch_size=3).shape == (7, 8, 8, 1)
    with pytest.raises(ValueError, match="Received: n=0"):
        gan.generate(0)


def test_keras_file_round_trip_restores_both_optimizers_and_resumes_identically(tmp_path):
    gan = zoo.build_dcgan(**SMALL, generator_loss="minimax", label_smoothing=0.1)
    gan.compile(g_optimizer=keras.optimizers.Adam(1e-3, beta_1=0.5))
    images = _images(32)
    gan.fit(images, batch_size=16, epochs=1, verbose=0)
    path = tmp_path / "dcgan.keras"
    gan.save(path)

    restored = keras.saving.load_model(path)
    assert isinstance(restored, DCGAN)
    assert (restored.generator_loss, restored.label_smoothing) == ("minimax", 0.1)
    assert float(restored.g_optimizer.learning_rate) == pytest.approx(1e-3)
    for original, loaded in ((gan.d_optimizer, restored.d_optimizer), (gan.g_optimizer, restored.g_optimizer)):
        assert int(loaded.iterations) == 2
        assert len(loaded.variables) == len(original.variables)
        for a, b in zip(original.variables, loaded.variables):
            np.testing.assert_array_equal(np.array(a), np.array(b))
    np.testing.assert_array_equal(gan.predict(images, verbose=0), restored.predict(images, verbose=0))

    first = gan.fit(images, batch_size=16, epochs=2, verbose=0, shuffle=False).history
    second = restored.fit(images, batch_size=16, epochs=2, verbose=0, shuffle=False).history
    assert first == second
    for a, b in zip(_weights(gan), _weights(restored)):
        np.testing.assert_array_equal(a, b)


def test_trains_on_digits_and_the_players_respond():
    """Done-means: on digits, D quickly beats chance and G moves towards the data."""
    (x, _), _, _ = load_digits(scale="symmetric", validation_split=0.0, test_split=0.0)
    gan = zoo.build_dcgan(input_shape=(8, 8, 1), latent_dim=16, base_filters=16, seed=1)
    gan.compile()
    before = gan.generate(256, seed=7)
    history = gan.fit(x, batch_size=64, epochs=6, verbose=0).history
    after = gan.generate(256, seed=7)

    assert all(np.all(np.isfinite(values)) for values in history.values())
    # D(x) vs D(G(z)) at chance gives d_loss = log(4); D must do clearly better.
    assert min(history["d_loss"]) < math.log(4) - 0.25
    assert history["d_real"][-1] > history["d_fake"][-1] + 0.1
    # G responds: D(G(z)) moves, and samples move towards the data's mean intensity.
    assert max(history["d_fake"]) - min(history["d_fake"]) > 0.05
    assert abs(after.mean() - x.mean()) < abs(before.mean() - x.mean()) - 0.1
