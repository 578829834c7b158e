"""DCGAN: the deep convolutional GAN of Radford, Metz and Chintala (2015), sized for small images.

The generator maps a latent vector through a dense projection and strided transposed convolutions
(batch normalization, ReLU) to a `tanh` image; the discriminator mirrors it with strided
convolutions (LeakyReLU, batch normalization except on its input layer) down to a single logit.
There is no pooling anywhere: resolution changes only through strides.

`build_dcgan` returns a `DCGAN` model. `fit(images)` trains the discriminator on a real and a
generated batch, then the generator, each with its own optimizer. By default the generator uses
the non-saturating loss, -log D(G(z)); `generator_loss="minimax"` uses the saturating
log(1 - D(G(z))) of the original GAN paper, whose gradient vanishes while D wins easily.

Example:

>>> import zoo
>>> from zoo.datasets import load_digits
>>> (x, _), _, _ = load_digits(layout="image", scale="symmetric")
>>> gan = zoo.build_dcgan(input_shape=(8, 8, 1), latent_dim=16)
>>> gan.compile()                      # Adam(2e-4, beta_1=0.5) for both players
>>> history = gan.fit(x, batch_size=64, epochs=5, verbose=0)
>>> samples = gan.generate(16, seed=0)  # (16, 8, 8, 1), values in [-1, 1]
"""

import keras
import tensorflow as tf
from keras import layers

from zoo._serialization import register_serializable
from zoo._validation import Boolean, Integer, Invalid, Optional, Options, Real, Shape
from zoo._validation import validate, validate_arguments
from zoo.models import _arguments
from zoo.models._generative import GenerativeModel, draw_seed, read_only
from zoo.registry import register_model

GENERATOR_LOSSES = ("non_saturating", "minimax")

_MAX_SIDE = 64
_MAX_CHANNELS = 16
_MAX_STAGES = 3

# What the model itself checks; the builder checks the same.
_TRAINING_CONSTRAINTS = {
    "generator_loss": Options(GENERATOR_LOSSES),
    "label_smoothing": _arguments.RATE,
}


def _default_optimizer(name):
    """The optimizer of Radford et al.: Adam with learning rate 2e-4 and beta_1 = 0.5."""
    return lambda: keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5, name=name)


@register_serializable(legacy_package="zoo")
class DCGAN(GenerativeModel):
    """A generator and a discriminator trained against each other.

    Calling the model on images returns D(x), the discriminator's probability that each image is
    real; `generate(n)` draws samples from the generator.

    Args:
        generator: a `keras.Model` from latent vectors `(batch, latent_dim)` to images.
        discriminator: a `keras.Model` from images to one logit per image.
        latent_dim: size of the latent vector z ~ N(0, I); must match the generator's input.
        generator_loss: `"non_saturating"` (minimise -log D(G(z))) or `"minimax"`
            (minimise log(1 - D(G(z))), the saturating original).
        label_smoothing: one-sided label smoothing; real images get the target
            `1 - label_smoothing` in the discriminator's loss.
        seed: integer seed of the latent noise drawn during training. The noise of each step is a
            function of this seed, the step counter and the replica, so a model restored from a
            `.keras` file continues exactly like the original.
        **kwargs: passed to `keras.Model` (for example `name`).

    Metrics (in `fit`'s logs): `d_loss` (real + fake cross-entropy; log(4) = 1.386 when D cannot
    tell them apart), `g_loss`, `d_real` (mean D(x)), `d_fake` (mean D(G(z))), and `loss`, the sum
    `d_loss + g_loss` (a GAN's losses need not decrease; read the two players separately).

    Example:

    >>> import zoo
    >>> gan = zoo.build_dcgan(input_shape=(8, 8, 1), latent_dim=4, base_filters=2, seed=0)
    >>> gan.compile()
    >>> gan.optimizer.optimizers == [gan.d_optimizer, gan.g_optimizer]
    True
    """

    NETWORKS = ("generator", "discriminator")
    HYPERPARAMETERS = ("latent_dim", "generator_loss", "label_smoothing")
    METRICS = ("loss", "d_loss", "g_loss", "d_real", "d_fake")
    SAMPLER = "generator"

    generator = read_only("generator")
    discriminator = read_only("discriminator")
    d_optimizer = read_only("d_optimizer")
    g_optimizer = read_only("g_optimizer")

    def __init__(
        self,
        generator,
        discriminator,
        latent_dim,
        generator_loss="non_saturating",
        label_smoothing=0.0,
        seed=0,
        **kwargs,
    ):
        super().__init__({"generator": generator, "discriminator": discriminator}, seed, **kwargs)
        arguments = validate(
            {**_TRAINING_CONSTRAINTS, "latent_dim": Options((self.latent_dim,))},
            {
                "generator_loss": generator_loss,
                "label_smoothing": label_smoothing,
                "latent_dim": latent_dim,
            },
        )
        self.generator_loss = arguments["generator_loss"]
        self.label_smoothing = arguments["label_smoothing"]
        self._d_optimizer = self._g_optimizer = None

    def call(self, inputs, training=False):
        """Returns D(inputs): the discriminator's probability that each image is real."""
        return keras.ops.sigmoid(self._logits(inputs, training=training))

    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        """Configures both players' optimizers.

        Args:
            d_optimizer: optimizer (instance, name or config) of the discriminator; default
                `Adam(learning_rate=2e-4, beta_1=0.5)` as in Radford et al.
            g_optimizer: optimizer of the generator; same default. Must not be the same object as
                `d_optimizer`: each optimizer keeps state for its own player's variables.
            **kwargs: `run_eagerly`, `steps_per_execution`, `jit_compile` and `auto_scale_loss`
                (wrap both optimizers in a `LossScaleOptimizer` under `"mixed_float16"`), as in
                `keras.Model.compile`.
        """
        optimizers = {
            "d_optimizer": (d_optimizer, _default_optimizer("d_adam"), "discriminator"),
            "g_optimizer": (g_optimizer, _default_optimizer("g_adam"), "generator"),
        }
        self.compile_optimizers(optimizers, **kwargs)

    # -- training ---------------------------------------------------------------------------

    def _discriminator_loss(self, real_logits, fake_logits):
        real_target = 1.0 - self.label_smoothing
        real_loss = real_target * tf.nn.softplus(-real_logits) + (
            1.0 - real_target
        ) * tf.nn.softplus(real_logits)
        return tf.reduce_mean(real_loss) + tf.reduce_mean(tf.nn.softplus(fake_logits))

    def _generator_loss(self, fake_logits):
        if self.generator_loss == "minimax":
            # log(1 - D(G(z))) = -softplus(logit): flat where D confidently says "fake".
            return tf.reduce_mean(-tf.nn.softplus(fake_logits))
        # -log D(G(z)) = softplus(-logit): steep exactly there.
        return tf.reduce_mean(tf.nn.softplus(-fake_logits))

    def _logits(self, images, training):
        return tf.cast(self._discriminator(images, training=training), "float32")

    def _latent_noise(self, batch_size, stream):
        return self._noise((batch_size, self.latent_dim), stream)

    def train_step(self, data):
        real = self._inputs(data)
        batch_size = tf.shape(real)[0]

        # 1. The discriminator, on a real batch and a generated one.
        fake = self._generator(self._latent_noise(batch_size, 0), training=True)
        d_variables = self._discriminator.trainable_variables
        with tf.GradientTape() as tape:
            real_logits = self._logits(real, training=True)
            fake_logits = self._logits(fake, training=True)
            d_loss = self._discriminator_loss(real_logits, fake_logits)
            scaled = self._scaled_loss(self._d_optimizer, d_loss)
        self._d_optimizer.apply(tape.gradient(scaled, d_variables), d_variables)

        # 2. The generator, through the updated discriminator.
        g_variables = self._generator.trainable_variables
        with tf.GradientTape() as tape:
            fake = self._generator(self._latent_noise(batch_size, 1), training=True)
            g_loss = self._generator_loss(self._logits(fake, training=True))
            scaled = self._scaled_loss(self._g_optimizer, g_loss)
        self._g_optimizer.apply(tape.gradient(scaled, g_variables), g_variables)

        return self._report(d_loss, g_loss, real_logits, fake_logits)

    def test_step(self, data):
        real = self._inputs(data)
        fake = self._generator(self._latent_noise(tf.shape(real)[0], 0), training=False)
        real_logits = self._logits(real, training=False)
        fake_logits = self._logits(fake, training=False)
        d_loss = self._discriminator_loss(real_logits, fake_logits)
        return self._report(d_loss, self._generator_loss(fake_logits), real_logits, fake_logits)

    def _report(self, d_loss, g_loss, real_logits, fake_logits):
        return self._update_trackers(
            {
                "loss": d_loss + g_loss,
                "d_loss": d_loss,
                "g_loss": g_loss,
                "d_real": tf.reduce_mean(tf.sigmoid(real_logits)),
                "d_fake": tf.reduce_mean(tf.sigmoid(fake_logits)),
            }
        )


def _stages(side):
    """Number of stride-2 stages: the most (up to 3) that leave a base side of at least 2."""
    stages = 0
    while stages < _MAX_STAGES and side % 2 ** (stages + 1) == 0 and side // 2 ** (stages + 1) >= 2:
        stages += 1
    return stages


class _SquareImage(Shape):
    """`(side, side, channels)` with a side that is a multiple of 4 in [8, 64], few channels."""

    def __init__(self):
        super().__init__(ndim=3)

    def check(self, value):
        height, width, channels = super().check(value)
        if height != width:
            raise Invalid("must be square (height == width)")
        if height % 4 or not 8 <= height <= _MAX_SIDE:
            raise Invalid(
                f"must have a side that is a multiple of 4 between 8 and {_MAX_SIDE} "
                "(8x8 digits, 28x28, 32x32, ...)"
            )
        if channels > _MAX_CHANNELS:
            raise Invalid(f"must have at most {_MAX_CHANNELS} channels")
        return height, width, channels


_CONSTRAINTS = {
    "input_shape": _SquareImage(),
    "latent_dim": Integer(1, 1024),
    "base_filters": Integer(1, 256),
    "kernel_size": Integer(1, 7),
    "batch_norm": Boolean(),
    "negative_slope": Real(0.0, 1.0),
    "dropout": _arguments.RATE,
    "kernel_initializer": Optional(_arguments.INITIALIZER),
    **_TRAINING_CONSTRAINTS,
    "seed": _arguments.SEED,
    "name": _arguments.NAME,
}
# Radford et al.: every weight drawn from N(0, 0.02).
_PAPER_INITIALIZER = {"class_name": "RandomNormal", "config": {"mean": 0.0, "stddev": 0.02}}


def _build_generator(shape, latent_dim, stages, base_filters, kernel_size, batch_norm, initializer):
    side, channels = shape[0], shape[2]
    base_side = side // 2**stages
    widths = [base_filters * 2**i for i in reversed(range(stages))]  # e.g. [4f, 2f, f]

    def new_initializer():
        return keras.initializers.get(initializer)

    latent = keras.Input((latent_dim,), name="latent")
    x = layers.Dense(
        base_side * base_side * widths[0],
        use_bias=not batch_norm,
        kernel_initializer=new_initializer(),
        name="generator_project",
    )(latent)
    if batch_norm:
        x = layers.BatchNormalization(name="generator_project_bn")(x)
    x = layers.ReLU(name="generator_project_relu")(x)
    x = layers.Reshape((base_side, base_side, widths[0]), name="generator_reshape")(x)
    for index, filters in enumerate(widths[1:]):
        x = layers.Conv2DTranspose(
            filters,
            kernel_size,
            strides=2,
            padding="same",
            use_bias=not batch_norm,
            kernel_initializer=new_initializer(),
            name=f"generator_deconv_{index}",
        )(x)
        if batch_norm:
            x = layers.BatchNormalization(name=f"generator_bn_{index}")(x)
        x = layers.ReLU(name=f"generator_relu_{index}")(x)
    # Radford et al.: no batch normalization on the generator's output layer.
    x = layers.Conv2DTranspose(
        channels,
        kernel_size,
        strides=2,
        padding="same",
        kernel_initializer=new_initializer(),
        name="generator_output",
    )(x)
    images = layers.Activation("tanh", dtype="float32", name="generator_tanh")(x)
    return keras.Model(latent, images, name="generator")


def _build_discriminator(
    shape, stages, base_filters, kernel_size, batch_norm, negative_slope, dropout, initializer
):
    images = keras.Input(shape, name="images")
    x = images
    for index in range(stages):
        x = layers.Conv2D(
            base_filters * 2**index,
            kernel_size,
            strides=2,
            padding="same",
            use_bias=not (batch_norm and index > 0),
            kernel_initializer=keras.initializers.get(initializer),
            name=f"discriminator_conv_{index}",
        )(x)
        # Radford et al.: no batch normalization on the discriminator's input layer.
        if batch_norm and index > 0:
            x = layers.BatchNormalization(name=f"discriminator_bn_{index}")(x)
        x = layers.LeakyReLU(negative_slope=negative_slope, name=f"discriminator_lrelu_{index}")(x)
        if dropout:
            x = layers.Dropout(dropout, name=f"discriminator_dropout_{index}")(x)
    x = layers.Flatten(name="discriminator_flatten")(x)
    logits = layers.Dense(
        1,
        dtype="float32",
        kernel_initializer=keras.initializers.get(initializer),
        name="discriminator_logit",
    )(x)
    return keras.Model(images, logits, name="discriminator")


@register_model(
    "dcgan",
    task="generative",
    small_kwargs={"input_shape": (8, 8, 1), "latent_dim": 8, "base_filters": 4},
)
@validate_arguments(_CONSTRAINTS)
def build_dcgan(
    input_shape=(8, 8, 1),
    latent_dim=64,
    base_filters=32,
    kernel_size=4,
    batch_norm=True,
    negative_slope=0.2,
    dropout=0.0,
    kernel_initializer=None,
    generator_loss="non_saturating",
    label_smoothing=0.0,
    seed=None,
    name="dcgan",
):
    """Builds a DCGAN for square images (8x8 digits, 28x28, 32x32x3, up to 64x64).

    A generative builder, not a classifier builder: it takes no `num_classes`, and the model
    trains on unlabelled images with its own `compile()`.

    The image side is halved by stride-2 convolutions as often as it stays even and at least 2,
    at most 3 times: 8 -> 4 -> 2, 28 -> 14 -> 7, 32 -> 16 -> 8 -> 4. The discriminator's widths
    are `base_filters * (1, 2, 4)`, the generator's the same in reverse.

    Args:
        input_shape: `(side, side, channels)` of the images; the side must be a multiple of 4
            between 8 and 64. Images are expected in [-1, 1] (the generator ends in `tanh`).
        latent_dim: size of the latent vector z ~ N(0, I).
        base_filters: width of the discriminator's first convolution (and the generator's last
            hidden one).
        kernel_size: kernel size of every (transposed) convolution; 4 in Radford et al.
        batch_norm: batch normalization in both players (not on G's output nor D's input).
        negative_slope: slope of the discriminator's LeakyReLU for negative inputs (0.2).
        dropout: dropout rate after each discriminator block (0 = none).
        kernel_initializer: initializer of every kernel; default N(0, 0.02) as in the paper.
        generator_loss: `"non_saturating"` (-log D(G(z))) or `"minimax"` (log(1 - D(G(z)))).
        label_smoothing: one-sided label smoothing of the real images' target.
        seed: integer seed of the training noise; `None` picks one from NumPy's global state
            (so `keras.utils.set_random_seed` makes it repeatable).
        name: the model's name.

    Returns:
        An uncompiled `DCGAN`; `compile()` with no arguments gives both players Adam(2e-4, 0.5).

    Example:

    >>> gan = build_dcgan(input_shape=(28, 28, 1), latent_dim=100)
    >>> gan.generator.output_shape
    (None, 28, 28, 1)
    """
    initializer = kernel_initializer or _PAPER_INITIALIZER
    stages = _stages(input_shape[0])
    generator = _build_generator(
        input_shape, latent_dim, stages, base_filters, kernel_size, batch_norm, initializer
    )
    discriminator = _build_discriminator(
        input_shape, stages, base_filters, kernel_size, batch_norm, negative_slope, dropout, initializer
    )
    return DCGAN(
        generator,
        discriminator,
        latent_dim=latent_dim,
        generator_loss=generator_loss,
        label_smoothing=label_smoothing,
        seed=draw_seed(seed),
        name=name,
    )
