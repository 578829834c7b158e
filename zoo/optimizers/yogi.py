"""Yogi (Zaheer et al. 2018, "Adaptive Methods for Nonconvex Optimization")."""

import keras
import tensorflow as tf
from keras import ops

from zoo._serialization import register_serializable
from zoo._validation import check_bool, check_float
from zoo.optimizers._base import AdamLikeOptimizer


@register_serializable(legacy_package="zoo")
class Yogi(AdamLikeOptimizer):
    """Adam with an additive second-moment update that cannot forget large gradients quickly.

    Adam's `v += (1 - beta_2)(g^2 - v)` can shrink `v` fast when gradients become small,
    making the effective step explode. Yogi moves `v` towards `g^2` by a fixed amount instead:

        m = beta_1 m + (1 - beta_1) g
        v = v - (1 - beta_2) sign(v - g^2) g^2
        w -= lr * sqrt(1 - beta_2^t) / (1 - beta_1^t) * m / (sqrt(v) + epsilon)

    With `bias_correction=True` (the default) this is TensorFlow Addons' `Yogi` (without its
    L1/L2 proximal terms); with False the factor `sqrt(1 - beta_2^t) / (1 - beta_1^t)` is
    dropped, as in Algorithm 2 of the paper, and the first steps are about 3x smaller.

    Args:
        learning_rate: float >= 0, schedule or callable. Defaults to 0.01 (the paper's).
        beta_1: in [0, 1). Defaults to 0.9.
        beta_2: in [0, 1). Defaults to 0.999.
        epsilon: > 0. Defaults to 1e-3 (the paper's).
        initial_accumulator_value: starting value of `v`, >= 0. Defaults to 1e-6.
        bias_correction: scale the step by `sqrt(1 - beta_2^t) / (1 - beta_1^t)`, as
            TensorFlow Addons does. Defaults to True.
        gradient_centralization: centralise the gradients of kernels first. Defaults to False.
        **kwargs: the base optimizer arguments (`weight_decay`, `clipnorm`, `use_ema`, ...).

    Example:

    >>> model.compile(optimizer=zoo.optimizers.Yogi(1e-2), loss="mse")   # doctest: +SKIP
    """

    config_arguments = AdamLikeOptimizer.config_arguments + (
        "initial_accumulator_value", "bias_correction",
    )

    def __init__(
        self,
        learning_rate=0.01,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-3,
        initial_accumulator_value=1e-6,
        bias_correction=True,
        gradient_centralization=False,
        name="yogi",
        **kwargs,
    ):
        initial_accumulator_value = check_float(
            "initial_accumulator_value", initial_accumulator_value, minimum=0.0
        )
        super().__init__(
            learning_rate, beta_1, beta_2, epsilon, gradient_centralization, name,
            second_moment_initializer=keras.initializers.Constant(initial_accumulator_value),
            **kwargs,
        )
        self.initial_accumulator_value = initial_accumulator_value
        self.bias_correction = check_bool("bias_correction", bias_correction)

    def update_step(self, gradient, variable, learning_rate):
        rate = ops.cast(learning_rate, variable.dtype)
        if self.bias_correction:
            first, second = self.bias_corrections(variable.dtype)
            rate = rate * ops.sqrt(second) / first
        self.apply_kernel(_yogi_kernel, gradient, variable, rate, *self.coefficients(variable.dtype))


@tf.function(jit_compile=True)
def _yogi_kernel(g, m, v, w, rate, one_minus_beta_1, one_minus_beta_2, epsilon):
    squared = tf.square(g)
    m = m + (g - m) * one_minus_beta_1
    v = v - tf.sign(v - squared) * squared * one_minus_beta_2
    return m, v, w - m * rate / (tf.sqrt(v) + epsilon)
