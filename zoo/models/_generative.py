"""The plumbing that the zoo's custom-trained generative models (DCGAN, VAE) share.

A `GenerativeModel` holds named sub-networks (a generator and a discriminator; an encoder and a
decoder), trains with one optimizer per group of variables, reports its own loss terms through
metric trackers, draws its training noise from a seed so that a restored model continues
exactly like the original, and saves and restores all of that in `.keras` files. A subclass
declares its parts in class attributes and writes `train_step` and `test_step`.

Example:

>>> import zoo
>>> vae = zoo.build_vae(input_shape=(8, 8, 1), latent_dim=2, hidden_units=(8,), seed=0)
>>> vae.compile()
>>> [metric.name for metric in vae.metrics]
['loss', 'reconstruction_loss', 'kl_loss']
"""

import keras
import numpy as np
import tensorflow as tf

from zoo._validation import Integer, Invalid, check, refusal, validate
from zoo.models._arguments import SEED

# Keras' compile arguments for a loss and metrics: these models bring their own, so only None.
_OWN_LOSS_ARGUMENTS = ("loss", "loss_weights", "metrics", "weighted_metrics")


class _OptimizerGroup:
    """What `model.optimizer` is when a model trains with several optimizers.

    Keras' `LearningRateScheduler` and `ReduceLROnPlateau` adjust every optimizer listed in
    `model.optimizer.optimizers`, so learning-rate callbacks act on the real optimizers instead
    of on an unused default one. The object holds no state of its own.
    """

    def __init__(self, model, optimizers):
        self._model = model
        self.optimizers = list(optimizers)
        self.name = f"{model.name}_optimizers"

    @property
    def built(self):
        return all(optimizer.built for optimizer in self.optimizers)

    def build(self, variables=None):
        del variables  # Each optimizer is built with its own network's variables.
        self._model._build_optimizers()

    @property
    def iterations(self):
        """Training steps taken: each optimizer steps once per step; the last one counts."""
        return self.optimizers[-1].iterations

    @property
    def variables(self):
        return [variable for optimizer in self.optimizers for variable in optimizer.variables]

    def scale_loss(self, loss):
        return loss

    def __repr__(self):
        return f"<optimizers: {[optimizer.name for optimizer in self.optimizers]}>"


def read_only(name):
    """A read-only property for the attribute `_name` (a sub-network, an optimizer)."""
    return property(lambda self: getattr(self, f"_{name}"), doc=f"The model's {name}.")


class GenerativeModel(keras.Model):
    """Base of the custom-trained generative models.

    Subclasses set:
        NETWORKS: names of the sub-networks, in constructor order (saved in the config).
        HYPERPARAMETERS: names of the other constructor arguments saved in the config.
        METRICS: names of the values `train_step` reports, in the order of the logs.
        SAMPLER: the network that maps latent vectors to samples (used by `generate`).

    Args:
        networks: `{name: keras.Model}`, one entry for each name in `NETWORKS`.
        seed: integer seed of the training noise (see `_noise`).
        **kwargs: passed to `keras.Model` (for example `name`).
    """

    NETWORKS = ()
    HYPERPARAMETERS = ()
    METRICS = ()
    SAMPLER = None

    def __init__(self, networks, seed=0, **kwargs):
        super().__init__(**kwargs)
        for name, value in networks.items():
            if not isinstance(value, keras.Model):
                raise refusal(name, value, Invalid("must be a keras.Model", type_error=True))
            setattr(self, f"_{name}", value)
        self.seed = check("seed", seed, SEED)
        self._trackers = {name: keras.metrics.Mean(name=name) for name in self.METRICS}
        self.built = True

    @property
    def latent_dim(self):
        """Size of the latent vectors the sampler maps to samples."""
        return int(getattr(self, self.SAMPLER).inputs[0].shape[-1])

    def generate(self, n, seed=None, batch_size=256):
        """Decodes `n` latent vectors z ~ N(0, I) with the sampler network (inference mode).

        Args:
            n: number of samples.
            seed: integer seed of the latent vectors, for repeatable samples; `None` draws fresh
                ones from Keras' global random state (see `keras.utils.set_random_seed`).
            batch_size: how many samples to compute at once.

        Returns:
            `np.ndarray` of shape `(n,) + sample_shape`.
        """
        arguments = validate(
            {"n": Integer(1), "seed": SEED, "batch_size": Integer(1)},
            {"n": n, "seed": seed, "batch_size": batch_size},
        )
        n, batch_size = arguments["n"], arguments["batch_size"]
        latent = keras.random.normal((n, self.latent_dim), seed=seed)
        sampler = getattr(self, self.SAMPLER)
        batches = [
            keras.ops.convert_to_numpy(sampler(latent[start : start + batch_size], training=False))
            for start in range(0, n, batch_size)
        ]
        return np.concatenate(batches, axis=0)

    # -- compile with one optimizer per group of variables, and restore it on load ------------

    def compile_optimizers(
        self,
        optimizers,
        run_eagerly=False,
        steps_per_execution=1,
        jit_compile="auto",
        auto_scale_loss=True,
        **own_loss,
    ):
        """Compiles with one optimizer for each group of variables; for subclasses' `compile`.

        With one optimizer it is `model.optimizer`, as in Keras; with several, each is the
        attribute `_<argument>` and `model.optimizer` lists them all (`.optimizers`).

        Args:
            optimizers: `{argument name: (what the caller passed, default factory, network)}`:
                the value may be an optimizer, its name or its config; the factory makes the
                default when the value is None (None: no default); each optimizer is built for
                the trainable variables of its network (a name in `NETWORKS`, or None for the
                whole model).
            run_eagerly, steps_per_execution, jit_compile: as in `keras.Model.compile`.
            auto_scale_loss: wrap the optimizers in a `LossScaleOptimizer` when the model's
                dtype policy is `"mixed_float16"`.
            **own_loss: Keras' `loss`, `loss_weights`, `metrics`, `weighted_metrics`: must be
                None (files saved by version 0.1 pass them so).
        """
        for key, value in own_loss.items():
            if key not in _OWN_LOSS_ARGUMENTS:
                raise TypeError(f"compile() got an unexpected keyword argument {key!r}")
            if value is not None:
                raise refusal(key, value, Invalid(
                    f"must be None: {type(self).__name__} trains on its own loss and metrics"
                ))
        resolved = {
            argument: _resolve_optimizer(argument, value, default)
            for argument, (value, default, _) in optimizers.items()
        }
        if len({id(optimizer) for optimizer in resolved.values()}) < len(resolved):
            raise refusal(next(iter(resolved)), next(iter(resolved.values())), Invalid(
                f"must be a different object from the other optimizers {list(resolved)}: each "
                "keeps state for its own variables"
            ))
        # No optimizer here, so Keras does not create a default RMSprop that nothing uses but
        # that learning-rate callbacks would adjust; `self.optimizer` is set below.
        super().compile(
            optimizer=None,
            run_eagerly=run_eagerly,
            steps_per_execution=steps_per_execution,
            jit_compile=jit_compile,
        )
        self._generative_compile_config = {
            **{key: keras.saving.serialize_keras_object(value) for key, value in resolved.items()},
            "run_eagerly": run_eagerly,
            "steps_per_execution": steps_per_execution,
            "jit_compile": jit_compile,
            "auto_scale_loss": auto_scale_loss,
        }
        if auto_scale_loss and self.dtype_policy.name == "mixed_float16":
            resolved = {
                key: keras.optimizers.LossScaleOptimizer(value) for key, value in resolved.items()
            }
        # Names, not the networks: a tracked attribute must not hold the model itself.
        self._optimizer_networks = {key: network for key, (_, _, network) in optimizers.items()}
        if len(resolved) == 1:
            self.optimizer = next(iter(resolved.values()))
        else:
            for key, value in resolved.items():
                setattr(self, f"_{key}", value)
            self.optimizer = _OptimizerGroup(self, resolved.values())
        self._build_optimizers()

    def _optimizers(self):
        """`{argument name: optimizer}` after `compile`."""
        if len(self._optimizer_networks) == 1:
            return {key: self.optimizer for key in self._optimizer_networks}
        return {key: getattr(self, f"_{key}") for key in self._optimizer_networks}

    def _build_optimizers(self):
        """Creates each optimizer's slots for its own network's variables only."""
        for key, optimizer in self._optimizers().items():
            network_name = self._optimizer_networks[key]
            trained = self if network_name is None else getattr(self, f"_{network_name}")
            if not optimizer.built:
                optimizer.build(trained.trainable_variables)

    def get_compile_config(self):
        if self.compiled and hasattr(self, "_generative_compile_config"):
            return dict(self._generative_compile_config)
        return {}

    def compile_from_config(self, config):
        self.compile(**keras.saving.deserialize_keras_object(config))

    # -- training ------------------------------------------------------------------------------

    @property
    def metrics(self):
        return list(self._trackers.values())

    def _update_trackers(self, values):
        """Adds this step's `{metric name: value}`; returns every tracker's result, for the logs."""
        for name, value in values.items():
            self._trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self._trackers.items()}

    def _noise(self, shape, stream):
        """N(0, I) noise, a function of (seed, training step, stream, replica): repeatable.

        Args:
            shape: shape of the noise tensor.
            stream: 0 or 1, to draw two independent tensors in one step.
        """
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

    @staticmethod
    def _scaled_loss(optimizer, loss):
        """The loss to differentiate: divided by the replica count, then loss-scaled.

        Keras sums gradients over replicas, so dividing the per-replica mean by their number (as
        the built-in losses do) gives the gradient of the global-batch mean.
        """
        replicas = tf.distribute.get_strategy().num_replicas_in_sync
        return optimizer.scale_loss(loss / replicas)

    @staticmethod
    def _inputs(data):
        """The model's inputs from what `fit` yields (x alone, or x with y and sample weights)."""
        x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
        return tf.cast(x, "float32")

    # -- serialization -------------------------------------------------------------------------

    def get_config(self):
        config = super().get_config()
        for name in self.NETWORKS:
            config[name] = keras.saving.serialize_keras_object(getattr(self, f"_{name}"))
        for name in (*self.HYPERPARAMETERS, "seed"):
            config[name] = getattr(self, name)
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for name in cls.NETWORKS:
            config[name] = keras.saving.deserialize_keras_object(config[name])
        return cls(**config)


def draw_seed(seed):
    """`seed`, or for None one drawn from NumPy's global state (`keras.utils.set_random_seed`)."""
    return int(np.random.randint(0, 2**31 - 1)) if seed is None else seed


def _resolve_optimizer(argument, value, default):
    """An optimizer instance from an instance, a name or a config (or `default()` for None)."""
    if value is None and default is not None:
        return default()
    try:
        optimizer = keras.optimizers.get(value)
    except (ValueError, TypeError) as error:
        raise refusal(argument, value, Invalid(
            f"must be a Keras optimizer, its name or its config ({error})"
        )) from None
    if optimizer is None:
        raise refusal(argument, value, Invalid("must be a Keras optimizer, its name or its config"))
    return optimizer
