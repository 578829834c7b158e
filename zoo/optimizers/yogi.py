"""Yogi (Zaheer et al. 2018, "Adaptive Methods for Nonconvex Optimization")."""

import keras
from keras import ops

from zoo._validation import check_float
from zoo.optimizers._base import ZooOptimizer, check_decay_rate


@keras.saving.register_keras_serializable(package="zoo")
class Yogi(ZooOptimizer):
    """Adam with an additive second-moment update that cannot forget large gradients quickly.

    Adam's `v += (1 - beta_2)(g^2 - v)` can shrink `v` fast when gradients become small,
    making the effective step explode. Yogi moves `v` towards `g^2` by a fixed amount instead:

        m = beta_1 m + (1 - beta_1) g
        v = v - (1 - beta_2) sign(v - g^2) g^2
        w -= lr * m / (sqrt(v) + epsilon)

    (Algorithm 2 of the paper, which has no bias correction.)

    Args:
        learning_rate: float >= 0, schedule or callable. Defaults to 0.01 (the paper's).
        beta_1: in [0, 1). Defaults to 0.9.
        beta_2: in [0, 1). Defaults to 0.999.
        epsilon: > 0. Defaults to 1e-3 (the paper's).
        initial_accumulator_value: starting value of `v`, >= 0. Defaults to 1e-6.
        gradient_centralization: centralise the gradients of kernels first. Defaults to False.
        **kwargs: the base optimizer arguments (`weight_decay`, `clipnorm`, `use_ema`, ...).

    Example:

    >>> model.compile(optimizer=zoo.optimizers.Yogi(1e-2), loss="mse")   # doctest: +SKIP
    """

    def __init__(
        self,
        learning_rate=0.01,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-3,
        initial_accumulator_value=1e-6,
        gradient_centralization=False,
        name="yogi",
        **kwargs,
    ):
        super().__init__(learning_rate, gradient_centralization, name=name, **kwargs)
        self.beta_1 = check_decay_rate("beta_1", beta_1)
        self.beta_2 = check_decay_rate("beta_2", beta_2)
        self.epsilon = check_float("epsilon", epsilon, minimum=0.0, min_inclusive=False)
        self.initial_accumulator_value = check_float(
            "initial_accumulator_value", initial_accumulator_value, minimum=0.0
        )

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums = self.add_optimizer_variables(var_list, "momentum")
        self._velocities = self.add_optimizer_variables(
            var_list,
            "velocity",
            initializer=keras.initializers.Constant(self.initial_accumulator_value),
        )

    def update_step(self, gradient, variable, learning_rate):
        gradient = self.prepare_gradient(gradient, variable)
        lr = ops.cast(learning_rate, variable.dtype)
        index = self._get_variable_index(variable)
        m, v = self._momentums[index], self._velocities[index]
        squared = ops.square(gradient)
        self.assign_add(m, (gradient - m) * (1.0 - self.beta_1))
        self.assign_sub(v, (1.0 - self.beta_2) * ops.sign(v - squared) * squared)
        self.assign_sub(variable, lr * m / (ops.sqrt(v) + self.epsilon))

    def get_config(self):
        config = super().get_config()
        config.update(
            beta_1=self.beta_1,
            beta_2=self.beta_2,
            epsilon=self.epsilon,
            initial_accumulator_value=self.initial_accumulator_value,
        )
        return config
