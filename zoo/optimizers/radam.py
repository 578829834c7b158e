"""RAdam: Adam with its warm-up built in (Liu et al. 2020, "On the Variance of the Adaptive
Learning Rate and Beyond")."""

import tensorflow as tf
from keras import ops

from zoo._serialization import register_serializable
from zoo._validation import check_float
from zoo.optimizers._base import AdamLikeOptimizer


@register_serializable(legacy_package="zoo")
class RAdam(AdamLikeOptimizer):
    """Rectified Adam.

    In its first steps Adam divides by a second-moment estimate made from a handful of squared
    gradients, whose variance is large: the source of the instability that a learning-rate
    warm-up cures. RAdam computes the length of the approximated simple moving average,

        rho_inf = 2 / (1 - beta_2) - 1,   rho_t = rho_inf - 2 t beta_2^t / (1 - beta_2^t),

    and while `rho_t <= rectification_threshold` takes a plain momentum step `lr * m_hat`.
    Afterwards it takes Adam's step scaled by the rectification term

        r_t = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t)),
        w -= lr * r_t * m_hat * sqrt(1 - beta_2^t) / (sqrt(v) + epsilon).

    Args:
        learning_rate: float >= 0, schedule or callable. Defaults to 0.001.
        beta_1: decay of the first moment, in [0, 1). Defaults to 0.9.
        beta_2: decay of the second moment, in [0, 1). Defaults to 0.999.
        epsilon: added to `sqrt(v)`, > 0. Defaults to 1e-7.
        rectification_threshold: `rho_t` above which the adaptive step is used; the paper
            requires > 4 (where `r_t` is defined); its reference code uses 5. Defaults to 5.
        gradient_centralization: centralise the gradients of kernels first. Defaults to False.
        **kwargs: the base optimizer arguments (`weight_decay`, `clipnorm`, `use_ema`, ...).

    Example:

    >>> model.compile(optimizer=zoo.optimizers.RAdam(1e-3), loss="mse")   # doctest: +SKIP
    >>> model.compile(optimizer="zoo_diagnostics>RAdam", loss="mse")      # doctest: +SKIP
    """

    config_arguments = AdamLikeOptimizer.config_arguments + ("rectification_threshold",)

    def __init__(
        self,
        learning_rate=0.001,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-7,
        rectification_threshold=5.0,
        gradient_centralization=False,
        name="radam",
        **kwargs,
    ):
        super().__init__(learning_rate, beta_1, beta_2, epsilon, gradient_centralization, name, **kwargs)
        self.rectification_threshold = check_float(
            "rectification_threshold", rectification_threshold, minimum=4.0
        )

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        first, second = self.bias_corrections(dtype)
        step = ops.cast(self.iterations + 1, dtype)
        rho_inf = 2.0 / (1.0 - self.beta_2) - 1.0
        rho_t = rho_inf - 2.0 * step * (1.0 - second) / second
        rectified = rho_t > self.rectification_threshold
        # Guarded so that the unused branch never takes the square root of a negative number.
        rho_safe = ops.where(rectified, rho_t, ops.cast(self.rectification_threshold + 1.0, dtype))
        r_t = ops.sqrt(
            (rho_safe - 4.0) * (rho_safe - 2.0) * rho_inf
            / ((rho_inf - 4.0) * (rho_inf - 2.0) * rho_safe)
        )
        # Both phases as one step m * rate / (sqrt(v) * on + off), with scalar rate, on and off:
        # the adaptive step (on = 1, off = epsilon) or the momentum step (on = 0, off = 1).
        momentum_rate = ops.cast(learning_rate, dtype) / first
        rate = ops.where(rectified, momentum_rate * r_t * ops.sqrt(second), momentum_rate)
        one_minus_beta_1, one_minus_beta_2, epsilon = self.coefficients(dtype)
        on = ops.cast(rectified, dtype)
        off = ops.where(rectified, epsilon, ops.cast(1.0, dtype))
        self.apply_kernel(_radam_kernel, gradient, variable, rate, one_minus_beta_1, one_minus_beta_2, on, off)


@tf.function(jit_compile=True)
def _radam_kernel(g, m, v, w, rate, one_minus_beta_1, one_minus_beta_2, on, off):
    m = m + (g - m) * one_minus_beta_1
    v = v + (tf.square(g) - v) * one_minus_beta_2
    return m, v, w - m * rate / (tf.sqrt(v) * on + off)
