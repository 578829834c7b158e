"""Variational autoencoder (Kingma and Welling, 2014): dense for small inputs, conv for images.

The encoder maps x to the mean and log-variance of q(z|x), a diagonal Gaussian; z is sampled with
the reparameterisation trick, z = mean + exp(log_var / 2) * eps, so gradients flow through the
sample; the decoder maps z back to the parameters of p(x|z). Training minimises the negative
ELBO: reconstruction loss + beta * KL(q(z|x) || N(0, I)) (beta = 1 is the plain VAE, beta > 1 the
beta-VAE of Higgins et al., 2017).

Example:

>>> import zoo
>>> from zoo.datasets import load_digits
>>> (x, _), (x_val, _), _ = load_digits(layout="image", scale="unit")
>>> vae = zoo.build_vae(input_shape=(8, 8, 1), latent_dim=2)
>>> vae.compile()                                # Adam
>>> history = vae.fit(x, validation_data=(x_val,), epochs=10, verbose=0)
>>> codes = vae.encode(x_val)                    # (n, 2) posterior means
>>> samples = vae.generate(16, seed=0)           # (16, 8, 8, 1) pixel probabilities
"""

import math

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from zoo import _validation
from zoo.registry import register_model

ARCHITECTURES = ("auto", "dense", "conv")
RECONSTRUCTIONS = ("bernoulli", "gaussian")

_EPSILON = 1e-6
_MAX_UNITS = 4096
_MAX_INPUT_SIZE = 2**20


@keras.saving.register_keras_serializable(package="zoo")
class VAE(keras.Model):
    """An encoder and a decoder trained on the negative ELBO.

    Calling the model on x returns the decoder's output at the posterior mean (deterministic):
    reconstruction probabilities for `"bernoulli"`, means for `"gaussian"`.

    Args:
        encoder: a `keras.Model` from inputs to `[z_mean, z_log_var]`, each `(batch, latent_dim)`.
        decoder: a `keras.Model` from `(batch, latent_dim)` to the input's shape.
        beta: weight of the KL term (1 = the VAE; > 1 = beta-VAE).
        reconstruction: `"bernoulli"` (binary cross-entropy summed over the input; inputs in
            [0, 1], decoder ends in a sigmoid) or `"gaussian"` (half the squared error summed over
            the input: a unit-variance Gaussian up to a constant).
        seed: integer seed of the sampling noise. The noise of each step is a function of this
            seed, the step counter and the replica, so a restored model continues identically.
        **kwargs: passed to `keras.Model` (for example `name`).

    Metrics: `loss` (the negative ELBO with beta), `reconstruction_loss`, `kl_loss`; all per
    example.
    """

    def __init__(self, encoder, decoder, beta=1.0, reconstruction="bernoulli", seed=0, **kwargs):
        super().__init__(**kwargs)
        for arg_name, value in (("encoder", encoder), ("decoder", decoder)):
            if not isinstance(value, keras.Model):
                raise TypeError(
                    f"`{arg_name}` must be a keras.Model. Received: {arg_name}={value!r}"
                )
        self.beta = _validation.check_float("beta", beta, minimum=0.0)
        self.reconstruction = _validation.check_choice(
            "reconstruction", reconstruction, RECONSTRUCTIONS
        )
        self.seed = _validation.check_int("seed", seed, minimum=0, maximum=2**31 - 1)
        self._encoder = encoder
        self._decoder = decoder
        self.latent_dim = int(decoder.inputs[0].shape[-1])
        self._trackers = {
            name: keras.metrics.Mean(name=name)
            for name in ("loss", "reconstruction_loss", "kl_loss")
        }
        self.built = True

    @property
    def encoder(self):
        return self._encoder

    @property
    def decoder(self):
        return self._decoder

    def call(self, inputs, training=False):
        z_mean, _ = self._encoder(inputs, training=training)
        return self._decoder(z_mean, training=training)

    def encode(self, x, batch_size=256):
        """Posterior means of `x`: a NumPy array `(n, latent_dim)`."""
        batch_size = _validation.check_int("batch_size", batch_size, minimum=1)
        z_mean, _ = self._encoder.predict(x, batch_size=batch_size, verbose=0)
        return z_mean

    def generate(self, n, seed=None, batch_size=256):
        """Decodes `n` draws of z ~ N(0, I): a NumPy array `(n,) + input_shape`.

        Args:
            n: number of samples.
            seed: integer seed for repeatable samples; `None` uses Keras' global random state.
            batch_size: how many to decode at once.
        """
        n = _validation.check_int("n", n, minimum=1)
        if seed is not None:
            _validation.check_int("seed", seed, minimum=0)
        batch_size = _validation.check_int("batch_size", batch_size, minimum=1)
        latent = keras.random.normal((n, self.latent_dim), seed=seed)
        batches = [
            keras.ops.convert_to_numpy(
                self._decoder(latent[start : start + batch_size], training=False)
            )
            for start in range(0, n, batch_size)
        ]
        return np.concatenate(batches, axis=0)

    # -- compile, with Adam as the default, and restoring it on load ---------------------------

    def compile(self, optimizer="adam", loss=None, **kwargs):
        """Like `keras.Model.compile`, with Adam as the default; the VAE brings its own loss.

        Args:
            optimizer: optimizer instance, name or config (default `"adam"`).
            loss: must be `None`: the loss is the negative ELBO.
            **kwargs: other `keras.Model.compile` arguments (`run_eagerly`,
                `steps_per_execution`, `jit_compile`, `auto_scale_loss`, ...).
        """
        if loss is not None:
            raise ValueError(
                "`loss` must be None: a VAE trains on its own loss (the negative ELBO). "
                f"Received: loss={loss!r}"
            )
        if optimizer is None:
            raise ValueError(
                "`optimizer` must be a Keras optimizer or its name. Received: optimizer=None"
            )
        super().compile(optimizer=optimizer, **kwargs)
        if not self.optimizer.built:
            self.optimizer.build(self.trainable_variables)

    def compile_from_config(self, config):
        config = keras.saving.deserialize_keras_object(config)
        self.compile(**config)

    # -- training ------------------------------------------------------------------------------

    @property
    def metrics(self):
        return list(self._trackers.values())

    def _noise(self, shape, stream):
        replica = tf.distribute.get_replica_context()
        replica_id = 0 if replica is None else replica.replica_id_in_sync_group
        step = tf.cast(self.optimizer.iterations, "int64")
        seed = tf.stack(
            [
                tf.constant(self.seed, "int64") * 1024 + tf.cast(replica_id, "int64"),
                step * 2 + stream,
            ]
        )
        return tf.random.stateless_normal(shape, seed=seed)

    def _elbo_terms(self, x, training, stream):
        """Per-example means over the batch of the reconstruction and KL terms."""
        z_mean, z_log_var = self._encoder(x, training=training)
        z_mean = tf.cast(z_mean, "float32")
        z_log_var = tf.cast(z_log_var, "float32")
        # The reparameterisation trick: the randomness is an input, so gradients reach the encoder.
        z = z_mean + tf.exp(0.5 * z_log_var) * self._noise(tf.shape(z_mean), stream)
        output = tf.cast(self._decoder(z, training=training), "float32")
        x = tf.reshape(tf.cast(x, "float32"), tf.shape(output))
        if self.reconstruction == "bernoulli":
            probabilities = tf.clip_by_value(output, _EPSILON, 1.0 - _EPSILON)
            per_value = -(
                x * tf.math.log(probabilities) + (1.0 - x) * tf.math.log(1.0 - probabilities)
            )
        else:
            per_value = 0.5 * tf.square(x - output)
        batch_size = tf.shape(output)[0]
        per_example = tf.reduce_sum(tf.reshape(per_value, (batch_size, -1)), axis=1)
        reconstruction = tf.reduce_mean(per_example)
        kl = -0.5 * tf.reduce_sum(1.0 + z_log_var - tf.square(z_mean) - tf.exp(z_log_var), axis=1)
        return reconstruction, tf.reduce_mean(kl)

    @staticmethod
    def _inputs(data):
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        return x

    def train_step(self, data):
        x = self._inputs(data)
        variables = self.trainable_variables
        with tf.GradientTape() as tape:
            reconstruction, kl = self._elbo_terms(x, training=True, stream=0)
            loss = reconstruction + self.beta * kl
            # Keras sums gradients over replicas: divide the per-replica mean by their number.
            replicas = tf.distribute.get_strategy().num_replicas_in_sync
            scaled = self.optimizer.scale_loss(loss / replicas)
        self.optimizer.apply(tape.gradient(scaled, variables), variables)
        return self._update_trackers(loss, reconstruction, kl)

    def test_step(self, data):
        reconstruction, kl = self._elbo_terms(self._inputs(data), training=False, stream=1)
        return self._update_trackers(reconstruction + self.beta * kl, reconstruction, kl)

    def _update_trackers(self, loss, reconstruction, kl):
        values = {"loss": loss, "reconstruction_loss": reconstruction, "kl_loss": kl}
        for name, value in values.items():
            self._trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self._trackers.items()}

    # -- serialization -------------------------------------------------------------------------

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "encoder": keras.saving.serialize_keras_object(self._encoder),
                "decoder": keras.saving.serialize_keras_object(self._decoder),
                "beta": self.beta,
                "reconstruction": self.reconstruction,
                "seed": self.seed,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("encoder", "decoder"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)


def _check_activation(activation):
    if not isinstance(activation, str):
        raise TypeError(
            "`activation` must be the name of a Keras activation. "
            f"Received: activation={activation!r}"
        )
    try:
        keras.activations.get(activation)
    except (ValueError, TypeError):
        raise ValueError(
            "`activation` must be the name of a Keras activation. "
            f"Received: activation={activation!r}"
        ) from None
    return activation


def _choose_architecture(architecture, shape, filters):
    if architecture == "auto":
        # Convolutions pay off from about 16x16; the 8x8 digits train fine (and fast) with dense.
        return "conv" if len(shape) == 3 and min(shape[:2]) >= 16 else "dense"
    if architecture == "conv":
        if len(shape) != 3:
            raise ValueError(
                "`input_shape` must be (height, width, channels) for architecture='conv'. "
                f"Received: input_shape={shape!r}"
            )
        if not filters:
            raise ValueError(
                "`filters` must not be empty for architecture='conv'. "
                f"Received: filters={filters!r}"
            )
        factor = 2 ** len(filters)
        if shape[0] % factor or shape[1] % factor:
            raise ValueError(
                f"`input_shape` must have height and width divisible by 2**len(filters) = {factor} "
                f"(each conv layer halves them). Received: input_shape={shape!r}"
            )
    return architecture


def _build_encoder(shape, latent_dim, architecture, hidden_units, filters, activation):
    inputs = keras.Input(shape, name="inputs")
    x = inputs
    if architecture == "conv":
        for index, width in enumerate(filters):
            x = layers.Conv2D(
                width,
                3,
                strides=2,
                padding="same",
                activation=activation,
                name=f"encoder_conv_{index}",
            )(x)
    x = layers.Flatten(name="encoder_flatten")(x)
    for index, units in enumerate(hidden_units):
        x = layers.Dense(units, activation=activation, name=f"encoder_dense_{index}")(x)
    z_mean = layers.Dense(latent_dim, dtype="float32", name="z_mean")(x)
    z_log_var = layers.Dense(latent_dim, dtype="float32", name="z_log_var")(x)
    return keras.Model(inputs, [z_mean, z_log_var], name="encoder")


def _build_decoder(
    shape, latent_dim, architecture, hidden_units, filters, activation, reconstruction
):
    latent = keras.Input((latent_dim,), name="latent")
    x = latent
    for index, units in enumerate(reversed(hidden_units)):
        x = layers.Dense(units, activation=activation, name=f"decoder_dense_{index}")(x)
    output_activation = "sigmoid" if reconstruction == "bernoulli" else "linear"
    if architecture == "conv":
        factor = 2 ** len(filters)
        base = (shape[0] // factor, shape[1] // factor, filters[-1])
        x = layers.Dense(math.prod(base), activation=activation, name="decoder_project")(x)
        x = layers.Reshape(base, name="decoder_reshape")(x)
        for index, width in enumerate(reversed(filters)):
            x = layers.Conv2DTranspose(
                width,
                3,
                strides=2,
                padding="same",
                activation=activation,
                name=f"decoder_deconv_{index}",
            )(x)
        x = layers.Conv2D(shape[-1], 3, padding="same", name="decoder_output")(x)
    else:
        x = layers.Dense(math.prod(shape), name="decoder_output")(x)
        x = layers.Reshape(shape, name="decoder_reshape")(x)
    outputs = layers.Activation(output_activation, dtype="float32", name="decoder_activation")(x)
    return keras.Model(latent, outputs, name="decoder")


@register_model(
    "vae",
    task="generative",
    small_kwargs={"input_shape": (8, 8, 1), "latent_dim": 2, "hidden_units": (16,)},
)
def build_vae(
    input_shape=(8, 8, 1),
    latent_dim=2,
    architecture="auto",
    hidden_units=(128, 64),
    filters=(32, 64),
    activation="relu",
    beta=1.0,
    reconstruction="bernoulli",
    seed=None,
    name="vae",
):
    """Builds a variational autoencoder.

    Args:
        input_shape: shape of one example without the batch axis: `(8, 8, 1)` digits, `(64,)`
            flat vectors, `(28, 28, 1)`, `(32, 32, 3)`, ...
        latent_dim: size of z (2 makes the latent space easy to plot).
        architecture: `"dense"`, `"conv"` (strided convolutions, for images whose sides are
            divisible by `2 ** len(filters)`), or `"auto"`: conv for images of 16x16 and more.
        hidden_units: widths of the encoder's dense layers (the decoder's, reversed).
        filters: widths of the encoder's stride-2 convolutions (conv only; reversed in the decoder).
        activation: activation of the hidden layers (a Keras activation name).
        beta: weight of the KL term (beta-VAE for beta > 1; 0 gives a plain noisy autoencoder).
        reconstruction: `"bernoulli"` for inputs in [0, 1] (sigmoid output, cross-entropy) or
            `"gaussian"` for real-valued inputs (linear output, squared error).
        seed: integer seed of the training noise; `None` picks one from NumPy's global state.
        name: the model's name.

    Returns:
        An uncompiled `VAE`; `compile()` with no arguments uses Adam.

    Example:

    >>> vae = build_vae(input_shape=(28, 28, 1), latent_dim=16)   # convolutional
    >>> vae.decoder.output_shape
    (None, 28, 28, 1)
    """
    shape = _validation.check_shape("input_shape", input_shape, min_ndim=1)
    if len(shape) > 3 or math.prod(shape) > _MAX_INPUT_SIZE:
        raise ValueError(
            "`input_shape` must have 1 to 3 dimensions and at most 2**20 values. "
            f"Received: input_shape={input_shape!r}"
        )
    latent_dim = _validation.check_int("latent_dim", latent_dim, minimum=1, maximum=_MAX_UNITS)
    _validation.check_choice("architecture", architecture, ARCHITECTURES)
    hidden_units = _validation.check_int_sequence("hidden_units", hidden_units, minimum=1)
    filters = _validation.check_int_sequence("filters", filters, minimum=1)
    for arg_name, widths in (("hidden_units", hidden_units), ("filters", filters)):
        if len(widths) > 16 or any(width > _MAX_UNITS for width in widths):
            raise ValueError(
                f"`{arg_name}` must have at most 16 entries of at most {_MAX_UNITS}. "
                f"Received: {arg_name}={widths!r}"
            )
    activation = _check_activation(activation)
    beta = _validation.check_float("beta", beta, minimum=0.0)
    _validation.check_choice("reconstruction", reconstruction, RECONSTRUCTIONS)
    if seed is None:
        seed = int(np.random.randint(0, 2**31 - 1))
    seed = _validation.check_int("seed", seed, minimum=0, maximum=2**31 - 1)
    if not isinstance(name, str) or not name:
        raise TypeError(f"`name` must be a non-empty string. Received: name={name!r}")
    architecture = _choose_architecture(architecture, shape, filters)

    encoder = _build_encoder(shape, latent_dim, architecture, hidden_units, filters, activation)
    decoder = _build_decoder(
        shape, latent_dim, architecture, hidden_units, filters, activation, reconstruction
    )
    return VAE(encoder, decoder, beta=beta, reconstruction=reconstruction, seed=seed, name=name)
