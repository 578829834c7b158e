"""Tests of the VAE: architectures, arguments, the ELBO terms, training on digits, saving."""

import keras
import numpy as np
import pytest

import zoo
from zoo.datasets import load_digits
from zoo.models.vae import VAE

SMALL = {"input_shape": (8, 8, 1), "latent_dim": 2, "hidden_units": (16,), "seed": 3}


def _images(n=64, shape=(8, 8, 1), seed=0):
    return np.random.default_rng(seed).uniform(0, 1, size=(n,) + shape).astype("float32")


def _layer_names(model):
    return [layer.name for layer in model.layers]


@pytest.mark.parametrize(
    "kwargs, conv",
    [
        ({"input_shape": (8, 8, 1)}, False),
        ({"input_shape": (64,)}, False),
        ({"input_shape": (28, 28, 1)}, True),
        ({"input_shape": (32, 32, 3), "filters": (4, 4, 4)}, True),
        ({"input_shape": (8, 8, 1), "architecture": "conv", "filters": (4,)}, True),
        ({"input_shape": (28, 28, 1), "architecture": "dense"}, False),
    ],
)
def test_architecture_follows_the_input_shape(kwargs, conv):
    vae = zoo.build_vae(latent_dim=3, hidden_units=(8,), **kwargs)
    assert isinstance(vae, VAE)
    shape = kwargs["input_shape"]
    assert vae.encoder.output_shape == [(None, 3), (None, 3)]
    assert vae.decoder.input_shape == (None, 3)
    assert vae.decoder.output_shape == (None,) + shape
    assert ("encoder_conv_0" in _layer_names(vae.encoder)) is conv
    assert ("decoder_deconv_0" in _layer_names(vae.decoder)) is conv


def test_compile_defaults_to_adam_and_refuses_a_loss():
    vae = zoo.build_vae(**SMALL)
    vae.compile()
    assert isinstance(vae.optimizer, keras.optimizers.Adam)
    with pytest.raises(ValueError, match="Received: loss='mse'"):
        vae.compile(loss="mse")


def test_fit_reports_the_elbo_terms_and_the_reparameterisation_reaches_the_encoder():
    # With beta = 0 only the reconstruction drives the encoder; its log-variance head can only
    # get a gradient through the sample z = mean + exp(log_var / 2) * eps.
    vae = zoo.build_vae(**{**SMALL, "beta": 0.0})
    vae.compile(optimizer=keras.optimizers.SGD(0.01))
    log_var_head = vae.encoder.get_layer("z_log_var")
    before = np.array(log_var_head.kernel)
    images = _images(32)
    history = vae.fit(images, validation_data=(images,), batch_size=16, epochs=1, verbose=0).history
    assert set(history) == {
        "loss", "reconstruction_loss", "kl_loss", "val_loss", "val_reconstruction_loss", "val_kl_loss"
    }
    assert all(np.isfinite(values[0]) for values in history.values())
    assert history["loss"][0] > 0 and history["kl_loss"][0] >= 0
    assert not np.array_equal(before, np.array(log_var_head.kernel))


def test_trains_on_digits_and_the_loss_decreases():
    """Done-means: total, reconstruction and validation loss all go down on digits."""
    (x, _), (x_val, _), _ = load_digits(scale="unit")
    vae = zoo.build_vae(input_shape=(8, 8, 1), latent_dim=2, seed=1)
    vae.compile()
    history = vae.fit(x, validation_data=(x_val,), batch_size=64, epochs=8, verbose=0).history
    for key in ("loss", "reconstruction_loss", "val_loss"):
        assert history[key][-1] < history[key][0] - 5.0, (key, history[key])
    assert all(np.isfinite(history["kl_loss"])) and history["kl_loss"][-1] > 0
    # The reconstruction of digits beats predicting every pixel at 0.5 (64 * log 2 = 44.4 nats).
    assert history["val_reconstruction_loss"][-1] < 0.8 * 64 * np.log(2)


def test_generate_and_encode():
    vae = zoo.build_vae(**SMALL)
    samples = vae.generate(5, seed=0)
    assert samples.shape == (5, 8, 8, 1)
    assert np.all((samples >= 0) & (samples <= 1))  # Bernoulli means: pixel probabilities.
    np.testing.assert_array_equal(samples, vae.generate(5, seed=0))
    assert vae.encode(_images(7)).shape == (7, 2)
    reconstruction = vae.predict(_images(4), verbose=0)
    assert reconstruction.shape == (4, 8, 8, 1)


def test_gaussian_reconstruction_trains_on_real_valued_inputs():
    vae = zoo.build_vae(input_shape=(64,), latent_dim=2, hidden_units=(16,), reconstruction="gaussian")
    vae.compile()
    x = np.random.default_rng(0).normal(size=(32, 64)).astype("float32")
    history = vae.fit(x, batch_size=16, epochs=2, verbose=0).history
    assert np.all(np.isfinite(history["loss"]))
    assert vae.decoder.layers[-1].get_config()["activation"] == "linear"


def test_keras_file_round_trip_resumes_identically(tmp_path):
    vae = zoo.build_vae(**{**SMALL, "beta": 2.0})
    vae.compile(optimizer=keras.optimizers.Adam(3e-3))
    images = _images(32)
    vae.fit(images, batch_size=16, epochs=1, verbose=0)
    path = tmp_path / "vae.keras"
    vae.save(path)

    restored = keras.saving.load_model(path)
    assert isinstance(restored, VAE) and restored.beta == 2.0
    assert float(restored.optimizer.learning_rate) == pytest.approx(3e-3)
    for a, b in zip(vae.optimizer.variables, restored.optimizer.variables):
        np.testing.assert_array_equal(np.array(a), np.array(b))
    np.testing.assert_array_equal(vae.predict(images, verbose=0), restored.predict(images, verbose=0))
    first = vae.fit(images, batch_size=16, epochs=1, verbose=0, shuffle=False).history
    second = restored.fit(images, batch_size=16, epochs=1, verbose=0, shuffle=False).history
    assert first == second
