"""Lookahead (Zhang, Lucas, Hinton and Ba 2019, "Lookahead Optimizer: k steps forward, 1 step
back")."""

import keras
import tensorflow as tf
from keras import ops

from zoo._keras_internals import variable_index
from zoo._serialization import register_serializable
from zoo._validation import check_float, check_int
from zoo.optimizers._wrapper import OptimizerWrapper, update_each


@register_serializable(legacy_package="zoo")
class Lookahead(OptimizerWrapper):
    """Wraps any optimizer: it takes `sync_period` fast steps, then pulls back towards slow weights.

    The inner optimizer updates the model's (fast) weights as usual. Every `sync_period` steps,

        slow += slow_step_size * (fast - slow);   fast = slow

    so the trajectory is smoothed and the inner optimizer's variance damped. The slow weights
    start equal to the model's weights (they are copied when the optimizer is built).

    Args:
        optimizer: the inner optimizer: an instance, a name ("adam") or a config dict.
            Defaults to "adam".
        sync_period: k, fast steps per slow step, >= 1. Defaults to 5.
        slow_step_size: alpha, in (0, 1]. Defaults to 0.5.
        name: optimizer name. Defaults to "lookahead".

    Example:

    >>> opt = zoo.optimizers.Lookahead(keras.optimizers.SGD(0.1), sync_period=5)  # doctest: +SKIP
    >>> model.compile(optimizer=opt, loss="mse")                                  # doctest: +SKIP
    """

    config_arguments = OptimizerWrapper.config_arguments + ("sync_period", "slow_step_size")

    def __init__(self, optimizer="adam", sync_period=5, slow_step_size=0.5, name="lookahead", **kwargs):
        sync_period = check_int("sync_period", sync_period, minimum=1)
        slow_step_size = check_float(
            "slow_step_size", slow_step_size, minimum=0.0, maximum=1.0, min_inclusive=False
        )
        super().__init__(optimizer, name=name, **kwargs)
        self.sync_period = sync_period
        self.slow_step_size = slow_step_size

    def build_wrapper(self, var_list):
        self._slow_weights = []
        for variable in var_list:
            slow = self.add_variable_from_reference(variable, "slow")
            # The optimizer may be built while a train step is traced: copy now, not in the graph.
            with tf.init_scope():
                slow.assign(variable)
            self._slow_weights.append(slow)

    def after_apply(self, trainable_variables):
        synchronise = ops.equal(self.iterations % self.sync_period, 0)
        slows = [self._slow_weights[variable_index(self, v)] for v in trainable_variables]

        def pull_back(fast, slow):
            def sync():
                new_slow = slow + self.slow_step_size * (fast - slow)
                slow.assign(new_slow)
                fast.assign(new_slow)

            ops.cond(synchronise, sync, lambda: None)

        update_each(trainable_variables, pull_back, slows)
