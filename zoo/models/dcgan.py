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
import numpy as np
import tensorflow as tf
from keras import layers

from zoo import _validation
from zoo.registry import register_model

GENERATOR_LOSSES = ("non_saturating", "minimax")

_MAX_SIDE = 64
_MAX_CHANNELS = 16
_MAX_STAGES = 3


def _default_optimizer(name):
    """The optimizer of Radford et al.: Adam with learning rate 2e-4 and beta_1 = 0.5."""
    return keras.optimizers.Adam(learning_rate=2e-4, beta_1=0.5, name=name)


class _OptimizerPair:
    """What `DCGAN.optimizer` returns: both players' optimizers behind one object.

    Keras' `LearningRateScheduler` and `ReduceLROnPlateau` adjust every optimizer listed in
    `model.optimizer.optimizers`, so learning-rate callbacks act on the two real optimizers instead
    of on an unused default one. The object holds no state of its own.
    """

    name = "dcgan_optimizers"

    def __init__(self, model):
        self._model = model

    @property
    def optimizers(self):
        return [self._model.d_optimizer, self._model.g_optimizer]

    @property
    def built(self):
        return all(optimizer.built for optimizer in self.optimizers)

    def build(self, variables=None):
        del variables  # Each optimizer is built with its own player's variables.
        self._model._build_optimizers()

    @property
    def iterations(self):
        """Training steps taken (the generator's optimizer steps once per step)."""
        return self._model.g_optimizer.iterations

    @property
    def variables(self):
        return [variable for optimizer in self.optimizers for variable in optimizer.variables]

    def scale_loss(self, loss):
        return loss

    def __repr__(self):
        return f"<DCGAN optimizers: {[optimizer.name for optimizer in self.optimizers]}>"


@keras.saving.register_keras_serializable(package="zoo")
class DCGAN(keras.Model):
    """A generator and a discriminator trained against each other.

    Calling the model on images returns D(x), the discriminator's probability that each image is
    real; `generate(n)` draws samples from the generator.

    Args:
        generator: a `keras.Model` from latent vectors `(batch, latent_dim)` to images.
        discriminator: a `keras.Model` from images to one logit per image.
        latent_dim: size of the latent vector z ~ N(0, I).
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
    """

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
        super().__init__(**kwargs)
        for arg_name, value in (("generator", generator), ("discriminator", discriminator)):
            if not isinstance(value, keras.Model):
                raise TypeError(
                    f"`{arg_name}` must be a keras.Model. Received: {arg_name}={value!r}"
                )
        self.latent_dim = _validation.check_int("latent_dim", latent_dim, minimum=1)
        if generator.inputs[0].shape[-1] != self.latent_dim:
            raise ValueError(
                f"`latent_dim` must match the generator's input size "
                f"{generator.inputs[0].shape[-1]}. Received: latent_dim={latent_dim!r}"
            )
        self.generator_loss = _validation.check_choice(
            "generator_loss", generator_loss, GENERATOR_LOSSES
        )
        self.label_smoothing = _validation.check_float(
            "label_smoothing", label_smoothing, minimum=0.0, maximum=1.0, max_inclusive=False
        )
        self.seed = _validation.check_int("seed", seed, minimum=0, maximum=2**31 - 1)
        self._generator = generator
        self._discriminator = discriminator
        self._d_optimizer = None
        self._g_optimizer = None
        self._trackers = {
            name: keras.metrics.Mean(name=name)
            for name in ("loss", "d_loss", "g_loss", "d_real", "d_fake")
        }
        self.built = True

    # -- the two players ---------------------------------------------------------------------

    @property
    def generator(self):
        return self._generator

    @property
    def discriminator(self):
        return self._discriminator

    @property
    def d_optimizer(self):
        return self._d_optimizer

    @property
    def g_optimizer(self):
        return self._g_optimizer

    def call(self, inputs, training=False):
        """Returns D(inputs): the discriminator's probability that each image is real."""
        logits = self._discriminator(inputs, training=training)
        return keras.ops.sigmoid(keras.ops.cast(logits, "float32"))

    def generate(self, n, seed=None, batch_size=256):
        """Draws `n` images from the generator (inference mode), as a NumPy array in [-1, 1].

        Args:
            n: number of images.
            seed: integer seed of the latent vectors, for repeatable samples; `None` draws fresh
                ones from Keras' global random state (see `keras.utils.set_random_seed`).
            batch_size: how many images to generate at once.

        Returns:
            `np.ndarray` of shape `(n,) + image_shape`.
        """
        n = _validation.check_int("n", n, minimum=1)
        if seed is not None:
            _validation.check_int("seed", seed, minimum=0)
        batch_size = _validation.check_int("batch_size", batch_size, minimum=1)
        latent = keras.random.normal((n, self.latent_dim), seed=seed)
        batches = [
            keras.ops.convert_to_numpy(
                self._generator(latent[start : start + batch_size], training=False)
            )
            for start in range(0, n, batch_size)
        ]
        return np.concatenate(batches, axis=0)

    # -- compile, and what saving needs to restore it -----------------------------------------

    def compile(
        self,
        d_optimizer=None,
        g_optimizer=None,
        run_eagerly=False,
        steps_per_execution=1,
        jit_compile="auto",
        auto_scale_loss=True,
    ):
        """Configures both players' optimizers.

        Args:
            d_optimizer: optimizer (instance, name or config) of the discriminator; default
                `Adam(learning_rate=2e-4, beta_1=0.5)` as in Radford et al.
            g_optimizer: optimizer of the generator; same default. Must not be the same object as
                `d_optimizer`: each optimizer keeps state for its own player's variables.
            run_eagerly, steps_per_execution, jit_compile: as in `keras.Model.compile`.
            auto_scale_loss: wrap both optimizers in a `LossScaleOptimizer` when the model's dtype
                policy is `"mixed_float16"`.
        """
        d_optimizer = self._resolve_optimizer("d_optimizer", d_optimizer)
        g_optimizer = self._resolve_optimizer("g_optimizer", g_optimizer)
        if d_optimizer is g_optimizer:
            raise ValueError(
                "`d_optimizer` and `g_optimizer` must be two different optimizer objects. "
                f"Received: d_optimizer={d_optimizer!r}, g_optimizer={g_optimizer!r}"
            )
        # No optimizer here, so Keras does not create a default RMSprop that nothing uses but
        # that learning-rate callbacks would adjust; `self.optimizer` is set to the pair below.
        super().compile(
            optimizer=None,
            run_eagerly=run_eagerly,
            steps_per_execution=steps_per_execution,
            jit_compile=jit_compile,
        )
        self._dcgan_compile_config = {
            "d_optimizer": keras.saving.serialize_keras_object(d_optimizer),
            "g_optimizer": keras.saving.serialize_keras_object(g_optimizer),
            "run_eagerly": run_eagerly,
            "steps_per_execution": steps_per_execution,
            "jit_compile": jit_compile,
            "auto_scale_loss": auto_scale_loss,
        }
        if auto_scale_loss and self.dtype_policy.name == "mixed_float16":
            d_optimizer = keras.optimizers.LossScaleOptimizer(d_optimizer)
            g_optimizer = keras.optimizers.LossScaleOptimizer(g_optimizer)
        self._d_optimizer = d_optimizer
        self._g_optimizer = g_optimizer
        self.optimizer = _OptimizerPair(self)
        self._build_optimizers()

    @staticmethod
    def _resolve_optimizer(arg_name, optimizer):
        if optimizer is None:
            return _default_optimizer("d_adam" if arg_name == "d_optimizer" else "g_adam")
        try:
            return keras.optimizers.get(optimizer)
        except (ValueError, TypeError) as error:
            raise ValueError(
                f"`{arg_name}` must be a Keras optimizer, its name or its config ({error}). "
                f"Received: {arg_name}={optimizer!r}"
            ) from None

    def _build_optimizers(self):
        """Creates each optimizer's slots for its own player only (not for all variables)."""
        if not self._d_optimizer.built:
            self._d_optimizer.build(self._discriminator.trainable_variables)
        if not self._g_optimizer.built:
            self._g_optimizer.build(self._generator.trainable_variables)

    def get_compile_config(self):
        if self.compiled and hasattr(self, "_dcgan_compile_config"):
            return dict(self._dcgan_compile_config)
        return {}

    def compile_from_config(self, config):
        config = dict(config)
        for key in ("d_optimizer", "g_optimizer"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        self.compile(**config)

    # -- training ---------------------------------------------------------------------------

    @property
    def metrics(self):
        return list(self._trackers.values())

    def _latent_noise(self, batch_size, stream):
        """z ~ N(0, I), a function of (seed, training step, stream, replica): repeatable."""
        replica = tf.distribute.get_replica_context()
        replica_id = 0 if replica is None else replica.replica_id_in_sync_group
        step = tf.cast(self._g_optimizer.iterations, "int64")
        seed = tf.stack(
            [
                tf.constant(self.seed, "int64") * 1024 + tf.cast(replica_id, "int64"),
                step * 2 + stream,
            ]
        )
        return tf.random.stateless_normal((batch_size, self.latent_dim), seed=seed)

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

    @staticmethod
    def _real_images(data):
        images, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        return tf.cast(images, "float32")

    @staticmethod
    def _scaled_loss(optimizer, loss):
        """The loss to differentiate: divided by the replica count, then loss-scaled.

        Keras sums gradients over replicas, so dividing the per-replica mean by their number (as
        the built-in losses do) gives the gradient of the global-batch mean.
        """
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        return optimizer.scale_loss(loss / replicas)

    def train_step(self, data):
        real = self._real_images(data)
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

        return self._update_trackers(d_loss, g_loss, real_logits, fake_logits)

    def test_step(self, data):
        real = self._real_images(data)
        fake = self._generator(self._latent_noise(tf.shape(real)[0], 0), training=False)
        real_logits = self._logits(real, training=False)
        fake_logits = self._logits(fake, training=False)
        d_loss = self._discriminator_loss(real_logits, fake_logits)
        g_loss = self._generator_loss(fake_logits)
        return self._update_trackers(d_loss, g_loss, real_logits, fake_logits)

    def _update_trackers(self, d_loss, g_loss, real_logits, fake_logits):
        values = {
            "loss": d_loss + g_loss,
            "d_loss": d_loss,
            "g_loss": g_loss,
            "d_real": tf.reduce_mean(tf.sigmoid(real_logits)),
            "d_fake": tf.reduce_mean(tf.sigmoid(fake_logits)),
        }
        for name, value in values.items():
            self._trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self._trackers.items()}

    # -- serialization ------------------------------------------------------------------------

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "generator": keras.saving.serialize_keras_object(self._generator),
                "discriminator": keras.saving.serialize_keras_object(self._discriminator),
                "latent_dim": self.latent_dim,
                "generator_loss": self.generator_loss,
                "label_smoothing": self.label_smoothing,
                "seed": self.seed,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("generator", "discriminator"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)


def _stages(side):
    """Number of stride-2 stages: the most (up to 3) that leave a base side of at least 2."""
    stages = 0
    while stages < _MAX_STAGES and side % 2 ** (stages + 1) == 0 and side // 2 ** (stages + 1) >= 2:
        stages += 1
    return stages


def _check_image_shape(input_shape):
    shape = _validation.check_shape("input_shape", input_shape, ndim=3)
    height, width, channels = shape
    if height != width:
        raise ValueError(
            f"`input_shape` must be square (height == width). Received: input_shape={input_shape!r}"
        )
    if height % 4 or not 8 <= height <= _MAX_SIDE:
        raise ValueError(
            f"`input_shape` must have a side that is a multiple of 4 between 8 and {_MAX_SIDE} "
            f"(8x8 digits, 28x28, 32x32, ...). Received: input_shape={input_shape!r}"
        )
    if channels > _MAX_CHANNELS:
        raise ValueError(
            f"`input_shape` must have at most {_MAX_CHANNELS} channels. "
            f"Received: input_shape={input_shape!r}"
        )
    return shape


def _check_initializer(kernel_initializer):
    if kernel_initializer is None:
        return {"class_name": "RandomNormal", "config": {"mean": 0.0, "stddev": 0.02}}
    if isinstance(kernel_initializer, keras.initializers.Initializer):
        return keras.initializers.serialize(kernel_initializer)
    try:
        keras.initializers.get(kernel_initializer)
    except (ValueError, TypeError):
        raise ValueError(
            "`kernel_initializer` must be a Keras initializer, its name or its config. "
            f"Received: kernel_initializer={kernel_initializer!r}"
        ) from None
    return kernel_initializer


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
    shape = _check_image_shape(input_shape)
    latent_dim = _validation.check_int("latent_dim", latent_dim, minimum=1, maximum=1024)
    base_filters = _validation.check_int("base_filters", base_filters, minimum=1, maximum=256)
    kernel_size = _validation.check_int("kernel_size", kernel_size, minimum=1, maximum=7)
    batch_norm = _validation.check_bool("batch_norm", batch_norm)
    negative_slope = _validation.check_float(
        "negative_slope", negative_slope, minimum=0.0, maximum=1.0
    )
    dropout = _validation.check_float(
        "dropout", dropout, minimum=0.0, maximum=1.0, max_inclusive=False
    )
    initializer = _check_initializer(kernel_initializer)
    _validation.check_choice("generator_loss", generator_loss, GENERATOR_LOSSES)
    _validation.check_float(
        "label_smoothing", label_smoothing, minimum=0.0, maximum=1.0, max_inclusive=False
    )
    if seed is None:
        seed = int(np.random.randint(0, 2**31 - 1))
    seed = _validation.check_int("seed", seed, minimum=0, maximum=2**31 - 1)
    if not isinstance(name, str) or not name:
        raise TypeError(f"`name` must be a non-empty string. Received: name={name!r}")

    stages = _stages(shape[0])
    generator = _build_generator(
        shape, latent_dim, stages, base_filters, kernel_size, batch_norm, initializer
    )
    discriminator = _build_discriminator(
        shape, stages, base_filters, kernel_size, batch_norm, negative_slope, dropout, initializer
    )
    return DCGAN(
        generator,
        discriminator,
        latent_dim=latent_dim,
        generator_loss=generator_loss,
        label_smoothing=label_smoothing,
        seed=seed,
        name=name,
    )
