"""AdaBelief (Zhuang et al. 2020, "AdaBelief Optimizer: Adapting Stepsizes by the Belief in
Observed Gradients")."""

import tensorflow as tf
from keras import ops

from zoo._serialization import register_serializable
from zoo.optimizers._base import AdamLikeOptimizer


@register_serializable(legacy_package="zoo")
class AdaBelief(AdamLikeOptimizer):
    """Adam whose second moment tracks how far the gradient strays from its own running mean.

    A large step where the gradient agrees with its prediction `m` (the "belief"), a small one
    where it does not:

        m = beta_1 m + (1 - beta_1) g
        s = beta_2 s + (1 - beta_2) (g - m)^2 + epsilon
        w -= lr * (m / (1 - beta_1^t)) / (sqrt(s / (1 - beta_2^t)) + epsilon)

    (Algorithm 2 of the paper.)

    Args:
        learning_rate: float >= 0, schedule or callable. Defaults to 0.001.
        beta_1: in [0, 1). Defaults to 0.9.
        beta_2: in [0, 1). Defaults to 0.999.
        epsilon: > 0, added inside `s` and to its root. Defaults to 1e-16 (the paper's).
        gradient_centralization: centralise the gradients of kernels first. Defaults to False.
        **kwargs: the base optimizer arguments (`weight_decay`, `clipnorm`, `use_ema`, ...).

    Example:

    >>> model.compile(optimizer=zoo.optimizers.AdaBelief(1e-3), loss="mse")   # doctest: +SKIP
    """

    second_moment_name = "belief"

    def __init__(
        self,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-16,
        gradient_centralization=False,
        name="adabelief",
        **kwargs,
    ):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, gradient_centralization, name, **kwargs)

    def update_step(self, gradient, variable, learning_rate):
        first, second = self.bias_corrections(variable.dtype)
        # lr * m_hat / (sqrt(s_hat) + eps), with numerator and denominator multiplied by
        # sqrt(1 - beta_2^t) so that the bias corrections are scalars (as Keras' Adam does).
        correction = ops.sqrt(second)
        rate = ops.cast(learning_rate, variable.dtype) * correction / first
        one_minus_beta_1, one_minus_beta_2, epsilon = self.coefficients(variable.dtype)
        self.apply_kernel(
            _adabelief_kernel, gradient, variable, rate, one_minus_beta_1, one_minus_beta_2, epsilon,
            epsilon * correction,
        )


@tf.function(jit_compile=True)
def _adabelief_kernel(g, m, s, w, rate, one_minus_beta_1, one_minus_beta_2, epsilon, scaled_epsilon):
    m = m + (g - m) * one_minus_beta_1
    s = s + (tf.square(g - m) - s) * one_minus_beta_2 + epsilon
    return m, s, w - m * rate / (tf.sqrt(s) + scaled_epsilon)
