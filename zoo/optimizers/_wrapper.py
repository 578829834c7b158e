"""The base of the optimizers that wrap another one (Lookahead, SWA, AdaptiveClipping).

A wrapper is itself a `keras.optimizers.Optimizer`, built the way Keras' own
`LossScaleOptimizer` is: the inner optimizer does the update with all its machinery (clipping,
weight decay, EMA, loss scaling, distribution); the wrapper transforms the gradients before it
(`transform_gradients`) and/or acts on the variables after it (`after_apply`). Learning rate and
iteration count are the inner optimizer's, so LR schedules and callbacks see one optimizer.
"""

import keras
import tensorflow as tf

from zoo._keras_internals import optimizer_variables
from zoo.optimizers._base import arguments_config


# Base-optimizer arguments that belong to the inner optimizer and that a wrapper refuses.
_INNER_ONLY = (
    "weight_decay", "clipnorm", "clipvalue", "global_clipnorm", "use_ema", "ema_momentum",
    "ema_overwrite_frequency", "loss_scale_factor", "gradient_accumulation_steps",
)


def update_each(variables, fn, *per_variable_args):
    """Runs `fn(variable, *args)` on every copy of each variable, from any distribution context.

    Under `tf.distribute`, model variables cannot be assigned in a replica context; this goes to
    the cross-replica context and updates each device's copy with that device's arguments, the
    way the optimizer's own update step does. Without a strategy it simply calls `fn`.
    """
    def unwrap(items):
        return [v.value if isinstance(v, keras.Variable) else v for v in items]

    tf_variables = unwrap(variables)
    per_variable_args = [unwrap(arg) for arg in per_variable_args]

    def merged(strategy, tf_variables, *args):
        for i, variable in enumerate(tf_variables):
            strategy.extended.update(
                variable, fn, args=tuple(arg[i] for arg in args), group=False
            )

    owner = getattr(tf_variables[0], "distribute_strategy", None) if tf_variables else None
    if owner is not None and not tf.distribute.has_strategy():
        # Distributed variables updated outside their strategy's scope (e.g. at the end of fit).
        with owner.scope():
            return update_each(tf_variables, fn, *per_variable_args)
    if tf.distribute.in_cross_replica_context():
        merged(tf.distribute.get_strategy(), tf_variables, *per_variable_args)
    else:
        tf.distribute.get_replica_context().merge_call(
            merged, args=(tf_variables, *per_variable_args)
        )


class OptimizerWrapper(keras.optimizers.Optimizer):
    """Wraps `optimizer` (an instance, a name such as "adam", or a config dict).

    Subclasses extend `config_arguments` with the constructor arguments they keep as attributes
    of the same name: `get_config` saves them beside the wrapped optimizer.
    """

    config_arguments = ()

    def __init__(self, optimizer="adam", name=None, **kwargs):
        refused = sorted(set(kwargs) & set(_INNER_ONLY))
        if refused:
            raise ValueError(
                f"{type(self).__name__} does not take `{refused[0]}`: set it on the wrapped "
                f"optimizer. Received: {refused[0]}={kwargs[refused[0]]!r}"
            )
        if kwargs:
            raise TypeError(f"Unexpected arguments: {sorted(kwargs)}. Received: kwargs={kwargs!r}")
        if not isinstance(optimizer, (str, dict, keras.optimizers.Optimizer)):
            raise TypeError(
                f"`optimizer` must be a keras.optimizers.Optimizer, a name or a config. "
                f"Received: optimizer={optimizer!r}"
            )
        inner = keras.optimizers.get(optimizer)
        if not isinstance(inner, keras.optimizers.Optimizer):
            raise TypeError(
                f"`optimizer` must be a keras.optimizers.Optimizer. Received: optimizer={optimizer!r}"
            )
        super().__init__(learning_rate=0.0, name=name)
        self.inner_optimizer = inner

    # -- what a wrapper adds; subclasses override these ---------------------------------------
    def build_wrapper(self, var_list):
        """Creates the wrapper's own variables (after the base class is built)."""

    def transform_gradients(self, grads, trainable_variables):
        """Gradients given to the inner optimizer."""
        return grads

    def after_apply(self, trainable_variables):
        """Runs after the inner optimizer's update (its `iterations` already counts it)."""
        return None  # A body of only a docstring is what AutoGraph cannot convert.

    # -- plumbing ----------------------------------------------------------------------------
    def build(self, var_list):
        if self.built:
            return
        self.inner_optimizer.build(var_list)
        super().build(var_list)
        self.build_wrapper(var_list)

    @property
    def variables(self):
        return self._variables + self.inner_optimizer.variables

    def apply(self, grads, trainable_variables=None):
        if trainable_variables is None:
            trainable_variables = optimizer_variables(self)
        trainable_variables = list(trainable_variables)
        if not self.built:
            with keras.name_scope(self.name, caller=self):
                self.build(trainable_variables)
            self.built = True
        grads = list(grads)
        self.inner_optimizer.apply(
            self.transform_gradients(grads, trainable_variables), trainable_variables
        )
        self.after_apply(trainable_variables)

    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        self.inner_optimizer.learning_rate = learning_rate

    @property
    def iterations(self):
        return self.inner_optimizer.iterations

    @property
    def loss_scale_factor(self):
        return self.inner_optimizer.loss_scale_factor

    @loss_scale_factor.setter
    def loss_scale_factor(self, value):
        # The base constructor sets None; the inner optimizer keeps its own.
        if value is not None:
            self.inner_optimizer.loss_scale_factor = value

    def scale_loss(self, loss):
        return self.inner_optimizer.scale_loss(loss)

    def finalize_variable_values(self, var_list):
        self.inner_optimizer.finalize_variable_values(var_list)

    def get_config(self):
        return {
            "name": self.name,
            "optimizer": keras.saving.serialize_keras_object(self.inner_optimizer),
            **arguments_config(self),
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if isinstance(config.get("optimizer"), dict):
            config["optimizer"] = keras.saving.deserialize_keras_object(
                config["optimizer"], custom_objects=custom_objects
            )
        return cls(**config)

