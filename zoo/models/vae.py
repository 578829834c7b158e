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
import tensorflow as tf
from keras import layers

from zoo._serialization import register_serializable
from zoo._validation import Integer, IntegerSequence, Invalid, Options, Real, Shape
from zoo._validation import check, validate, validate_arguments
from zoo.models import _arguments
from zoo.models._generative import GenerativeModel, draw_seed, read_only
from zoo.registry import register_model

ARCHITECTURES = ("auto", "dense", "conv")
RECONSTRUCTIONS = ("bernoulli", "gaussian")

_EPSILON = 1e-6
_MAX_UNITS = 4096
_MAX_INPUT_SIZE = 2**20

# What the model itself checks; the builder checks the same.
_TRAINING_CONSTRAINTS = {"beta": Real(minimum=0.0), "reconstruction": Options(RECONSTRUCTIONS)}


@register_serializable(legacy_package="zoo")
class VAE(GenerativeModel):
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

    Example:

    >>> import zoo
    >>> vae = zoo.build_vae(input_shape=(64,), latent_dim=2, hidden_units=(8,), seed=0)
    >>> vae.generate(3, seed=0).shape
    (3, 64)
    """

    NETWORKS = ("encoder", "decoder")
    HYPERPARAMETERS = ("beta", "reconstruction")
    METRICS = ("loss", "reconstruction_loss", "kl_loss")
    SAMPLER = "decoder"

    encoder = read_only("encoder")
    decoder = read_only("decoder")

    def __init__(self, encoder, decoder, beta=1.0, reconstruction="bernoulli", seed=0, **kwargs):
        super().__init__({"encoder": encoder, "decoder": decoder}, seed, **kwargs)
        arguments = validate(
            _TRAINING_CONSTRAINTS, {"beta": beta, "reconstruction": reconstruction}
        )
        self.beta = arguments["beta"]
        self.reconstruction = arguments["reconstruction"]

    def call(self, inputs, training=False):
        z_mean, _ = self._encoder(inputs, training=training)
        return self._decoder(z_mean, training=training)

    def encode(self, x, batch_size=256):
        """Posterior means of `x`: a NumPy array `(n, latent_dim)`."""
        batch_size = check("batch_size", batch_size, Integer(1))
        z_mean, _ = self._encoder.predict(x, batch_size=batch_size, verbose=0)
        return z_mean

    def compile(self, optimizer="adam", **kwargs):
        """Like `keras.Model.compile`, with Adam as the default; the VAE brings its own loss.

        Args:
            optimizer: optimizer instance, name or config (default `"adam"`).
            **kwargs: `run_eagerly`, `steps_per_execution`, `jit_compile`, `auto_scale_loss`
                as in `keras.Model.compile`; `loss` and `metrics` must be None (the loss is the
                negative ELBO).
        """
        self.compile_optimizers({"optimizer": (optimizer, None, None)}, **kwargs)

    # -- training ------------------------------------------------------------------------------

    def _elbo_terms(self, x, training, stream):
        """Per-example means over the batch of the reconstruction and KL terms."""
        z_mean, z_log_var = self._encoder(x, training=training)
        z_mean = tf.cast(z_mean, "float32")
        z_log_var = tf.cast(z_log_var, "float32")
        # The reparameterisation trick: the randomness is an input, so gradients reach the encoder.
        z = z_mean + tf.exp(0.5 * z_log_var) * self._noise(tf.shape(z_mean), stream)
        output = tf.cast(self._decoder(z, training=training), "float32")
        x = tf.reshape(x, tf.shape(output))
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

    def train_step(self, data):
        x = self._inputs(data)
        variables = self.trainable_variables
        with tf.GradientTape() as tape:
            reconstruction, kl = self._elbo_terms(x, training=True, stream=0)
            loss = reconstruction + self.beta * kl
            scaled = self._scaled_loss(self.optimizer, loss)
        self.optimizer.apply(tape.gradient(scaled, variables), variables)
        return self._report(loss, reconstruction, kl)

    def test_step(self, data):
        reconstruction, kl = self._elbo_terms(self._inputs(data), training=False, stream=1)
        return self._report(reconstruction + self.beta * kl, reconstruction, kl)

    def _report(self, loss, reconstruction, kl):
        return self._update_trackers(
            {"loss": loss, "reconstruction_loss": reconstruction, "kl_loss": kl}
        )


def _architecture(architecture, input_shape):
    """The architecture to build: "auto" resolved from the input shape."""
    if architecture != "auto":
        return architecture
    # Convolutions pay off from about 16x16; the 8x8 digits train fine (and fast) with dense.
    return "conv" if len(input_shape) == 3 and min(input_shape[:2]) >= 16 else "dense"


def _convolutions_fit(input_shape, architecture, filters, **_):
    """For a conv VAE: an image, some filters, and sides that every stride-2 layer can halve."""
    if _architecture(architecture, input_shape) != "conv":
        return
    if len(input_shape) != 3:
        raise Invalid(
            "must be (height, width, channels) for architecture='conv'", argument="input_shape"
        )
    if not filters:
        raise Invalid("must not be empty for architecture='conv'", argument="filters")
    factor = 2 ** len(filters)
    if input_shape[0] % factor or input_shape[1] % factor:
        raise Invalid(
            f"must have height and width divisible by 2**len(filters) = {factor} (each conv "
            "layer halves them)",
            argument="input_shape",
        )


_WIDTHS = IntegerSequence(maximum=_MAX_UNITS, max_length=16)
_CONSTRAINTS = {
    "input_shape": Shape(max_ndim=3, max_size=_MAX_INPUT_SIZE),
    "latent_dim": Integer(1, _MAX_UNITS),
    "architecture": Options(ARCHITECTURES),
    "hidden_units": _WIDTHS,
    "filters": _WIDTHS,
    "activation": _arguments.Activation(layers=False, keep_width=True),
    **_TRAINING_CONSTRAINTS,
    "seed": _arguments.SEED,
    "name": _arguments.NAME,
}


def _strided(layer_class, filters, activation, name):
    """A 3x3 stride-2 convolution ("same" padding) of `layer_class`: halves or doubles the sides."""
    return layer_class(filters, 3, strides=2, padding="same", activation=activation, name=name)


def _build_encoder(shape, latent_dim, architecture, hidden_units, filters, activation):
    inputs = keras.Input(shape, name="inputs")
    x = inputs
    if architecture == "conv":
        for index, width in enumerate(filters):
            x = _strided(layers.Conv2D, width, activation, f"encoder_conv_{index}")(x)
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
            x = _strided(layers.Conv2DTranspose, width, activation, f"decoder_deconv_{index}")(x)
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
@validate_arguments(_CONSTRAINTS, rules=(_convolutions_fit,))
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

    A generative builder, not a classifier builder: it takes no `num_classes`, and the model
    trains on unlabelled inputs with its own `compile()`.

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
    architecture = _architecture(architecture, input_shape)
    encoder = _build_encoder(
        input_shape, latent_dim, architecture, hidden_units, filters, activation
    )
    decoder = _build_decoder(
        input_shape, latent_dim, architecture, hidden_units, filters, activation, reconstruction
    )
    return VAE(
        encoder, decoder, beta=beta, reconstruction=reconstruction, seed=draw_seed(seed), name=name
    )
