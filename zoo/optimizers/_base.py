"""What the project's single-pass optimizers share: argument checks, dense gradients, centralisation.

Sparse gradients (`tf.IndexedSlices`, from `Embedding` layers) are densified before the update, so
every optimizer here applies its published, dense rule: moment estimates decay on every row, not
only on the rows that a batch touched.
"""

import keras
import tensorflow as tf
from keras import ops

from zoo._validation import check_bool, check_float


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

    Subclasses call `self.prepare_gradient(gradient, variable)` first in `update_step`.
    """

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
        config = super().get_config()
        config["gradient_centralization"] = self.gradient_centralization
        return config
