"""What the project's single-pass optimizers share: argument checks, dense gradients,
centralisation, the config of their own arguments (the wrappers' too), and (for RAdam, Yogi and
AdaBelief) Adam's two moment estimates.

Sparse gradients (`tf.IndexedSlices`, from `Embedding` layers) are densified before the update, so
every optimizer here applies its published, dense rule: moment estimates decay on every row, not
only on the rows that a batch touched.
"""

import math

import keras
import tensorflow as tf
from keras import ops

from zoo._keras_internals import variable_index
from zoo._validation import check_bool, check_float

# XLA compiles a fused update once per variable shape (about 0.1-0.3 s on a CPU): worth it from
# about 64k elements, where one fused pass saves more than a millisecond per hundred steps.
FUSED_MIN_ELEMENTS = 2**16


def check_learning_rate(learning_rate):
    """A number must be >= 0; schedules and callables are accepted as they are."""
    if isinstance(learning_rate, keras.optimizers.schedules.LearningRateSchedule) or callable(
        learning_rate
    ):
        return learning_rate
    return check_float("learning_rate", learning_rate, minimum=0.0)


def check_decay_rate(name, value):
    """A decay rate (beta, momentum) in [0, 1)."""
    return check_float(name, value, minimum=0.0, maximum=1.0, max_inclusive=False)


def dense_gradient(gradient, variable):
    """The gradient as a dense tensor of the variable's dtype (IndexedSlices are scattered)."""
    if isinstance(gradient, tf.IndexedSlices):
        gradient = tf.convert_to_tensor(gradient)
    return ops.cast(gradient, variable.dtype)


def arguments_config(optimizer):
    """`{name: value}` for each name in `optimizer.config_arguments`, read from the attribute of
    that name: the optimizer's own constructor arguments, for its `get_config`.

    Example:

    >>> class Momentum(ZooOptimizer):
    ...     config_arguments = ZooOptimizer.config_arguments + ("momentum",)
    ...     def __init__(self, momentum=0.9):
    ...         super().__init__(learning_rate=0.01)
    ...         self.momentum = momentum
    >>> arguments_config(Momentum())
    {'gradient_centralization': False, 'momentum': 0.9}
    """
    return {name: getattr(optimizer, name) for name in optimizer.config_arguments}


def centralize_gradient(gradient):
    """Gradient centralisation (Yong et al. 2020): removes the mean over all axes but the last.

    For a Dense kernel `(inputs, units)` and a Conv kernel `(h, w, in, out)` this makes the
    gradient of each output unit's weight vector sum to zero. Vectors (biases, scales) are
    returned unchanged, as in the paper.

    Args:
        gradient: dense gradient tensor.

    Returns:
        The centralised gradient, same shape.
    """
    if len(gradient.shape) < 2:
        return gradient
    axes = tuple(range(len(gradient.shape) - 1))
    return gradient - ops.mean(gradient, axis=axes, keepdims=True)


class ZooOptimizer(keras.optimizers.Optimizer):
    """Base of the single-pass optimizers: checks the learning rate, adds `gradient_centralization`.

    Subclasses call `self.prepare_gradient(gradient, variable)` first in `update_step`, and extend
    `config_arguments` with the constructor arguments they keep as attributes of the same name:
    `get_config` saves them.
    """

    config_arguments = ("gradient_centralization",)

    def __init__(self, learning_rate, gradient_centralization=False, name=None, **kwargs):
        super().__init__(learning_rate=check_learning_rate(learning_rate), name=name, **kwargs)
        self.gradient_centralization = check_bool("gradient_centralization", gradient_centralization)

    def prepare_gradient(self, gradient, variable):
        """Dense gradient in the variable's dtype, centralised if requested."""
        gradient = dense_gradient(gradient, variable)
        if self.gradient_centralization:
            gradient = centralize_gradient(gradient)
        return gradient

    def get_config(self):
        return {**super().get_config(), **arguments_config(self)}


class AdamLikeOptimizer(ZooOptimizer):
    """Base of the optimizers that keep Adam's first and second moment per variable.

    Checks `beta_1`, `beta_2` and `epsilon`, builds the two slot lists, serialises the three
    values; a subclass writes only its `update_step` (with `bias_corrections` and
    `apply_kernel`) and names its second moment with `second_moment_name`.

    Args:
        learning_rate: float >= 0, schedule or callable.
        beta_1: decay of the first moment, in [0, 1).
        beta_2: decay of the second moment, in [0, 1).
        epsilon: > 0.
        gradient_centralization: centralise the gradients of kernels first.
        name: optimizer name.
        second_moment_initializer: initializer of the second moment slots.
        **kwargs: the base optimizer arguments (`weight_decay`, `clipnorm`, `use_ema`, ...).

    Example:

    >>> class Plain(AdamLikeOptimizer):
    ...     def update_step(self, gradient, variable, learning_rate):
    ...         self.apply_kernel(sgd_kernel, gradient, variable, ops.cast(learning_rate, variable.dtype))
    >>> @tf.function(jit_compile=True)
    ... def sgd_kernel(g, m, v, w, rate):
    ...     return m, v, w - rate * g
    >>> Plain(0.1, 0.9, 0.999, 1e-7, False, "plain").get_config()["beta_2"]
    0.999
    """

    second_moment_name = "velocity"
    config_arguments = ZooOptimizer.config_arguments + ("beta_1", "beta_2", "epsilon")

    def __init__(
        self, learning_rate, beta_1, beta_2, epsilon, gradient_centralization, name,
        second_moment_initializer="zeros", **kwargs,
    ):
        super().__init__(learning_rate, gradient_centralization, name=name, **kwargs)
        self.beta_1 = check_decay_rate("beta_1", beta_1)
        self.beta_2 = check_decay_rate("beta_2", beta_2)
        self.epsilon = check_float("epsilon", epsilon, minimum=0.0, min_inclusive=False)
        self._second_moment_initializer = second_moment_initializer

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums = self.add_optimizer_variables(var_list, "momentum")
        self._second_moments = self.add_optimizer_variables(
            var_list, self.second_moment_name, initializer=self._second_moment_initializer
        )

    def apply_kernel(self, kernel, gradient, variable, *scalars):
        """Runs one fused update and assigns its results to the moments and the variable.

        `kernel(g, m, v, w, *scalars) -> (m, v, w)` is an elementwise `tf.function` with
        `jit_compile=True`: XLA fuses the whole update into one pass over the tensors, where
        op by op it would take a dozen (on a CPU this makes the step cheaper than Keras' Adam).
        XLA compiles once per shape, so variables under `FUSED_MIN_ELEMENTS` run the same
        Python body op by op.
        """
        index = variable_index(self, variable)
        slots = (self._momentums[index], self._second_moments[index], variable)
        if math.prod(variable.shape) < FUSED_MIN_ELEMENTS:
            kernel = kernel.python_function
        values = kernel(self.prepare_gradient(gradient, variable), *(tf.convert_to_tensor(s) for s in slots), *scalars)
        for slot, value in zip(slots, values):
            self.assign(slot, value)

    def coefficients(self, dtype):
        """(1 - beta_1, 1 - beta_2, epsilon) as scalars of `dtype`, for a kernel."""
        return tuple(ops.convert_to_tensor(v, dtype) for v in (1.0 - self.beta_1, 1.0 - self.beta_2, self.epsilon))

    def bias_corrections(self, dtype):
        """(1 - beta_1^t, 1 - beta_2^t) at the step being taken (t counted from 1).

        The betas become tensors of `dtype` directly: `ops.cast` of a Python float would round
        it to float32 first, an error of ~1e-5 in 1 - beta_2 for float64 variables.
        """
        step = ops.cast(self.iterations + 1, dtype)
        return (
            1.0 - ops.power(ops.convert_to_tensor(self.beta_1, dtype), step),
            1.0 - ops.power(ops.convert_to_tensor(self.beta_2, dtype), step),
        )
