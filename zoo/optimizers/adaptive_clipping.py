"""Adaptive gradient clipping, unit-wise (Brock, De, Smith and Simonyan 2021, "High-Performance
Large-Scale Image Recognition Without Normalization")."""

import keras
import tensorflow as tf
from keras import ops

from zoo._serialization import register_serializable
from zoo._validation import check_float
from zoo.optimizers._base import dense_gradient
from zoo.optimizers._wrapper import OptimizerWrapper


def unitwise_norm(x):
    """L2 norm per output unit: over all axes but the last for kernels, whole tensor for vectors.

    Keras kernels put the output units last (Dense `(in, out)`, Conv `(h, w, in, out)`), so each
    unit's fan-in weights form one slice. The result broadcasts against `x`.
    """
    axes = None if len(x.shape) < 2 else list(range(len(x.shape) - 1))
    # TensorFlow's fused EuclideanNorm kernel: one pass, where square-then-sum makes two.
    return tf.math.reduce_euclidean_norm(x, axis=axes, keepdims=True)


def adaptive_clip(gradients, variables, clip_factor=0.01, epsilon=1e-3):
    """Clips each unit's gradient to at most `clip_factor` times its weight norm.

        G_i <- G_i * clip_factor * max(||W_i||, epsilon) / ||G_i||   if ||G_i|| / max(||W_i||, epsilon) > clip_factor

    for every unit `i` (row of the fan-in axis). Sparse gradients are densified. None is kept.

    Args:
        gradients: list of gradients (None allowed).
        variables: the matching variables.
        clip_factor: lambda, > 0. Defaults to 0.01.
        epsilon: floor of the weight norm, so that zero-initialised weights still move, > 0.
            Defaults to 1e-3.

    Returns:
        The list of clipped gradients.

    Example:

    >>> grads = adaptive_clip(tape.gradient(loss, model.trainable_variables),  # doctest: +SKIP
    ...                       model.trainable_variables, clip_factor=0.02)
    """
    clipped = []
    for gradient, variable in zip(gradients, variables):
        if gradient is None:
            clipped.append(None)
            continue
        gradient = dense_gradient(gradient, variable)
        weight_norm = ops.maximum(unitwise_norm(ops.convert_to_tensor(variable)), epsilon)
        grad_norm = unitwise_norm(gradient)
        max_norm = clip_factor * weight_norm
        # The factor is computed on the (small) norm tensors: one pass over the gradient.
        # The max() keeps it finite where the gradient is zero (factor 1 there).
        factor = ops.minimum(max_norm / ops.maximum(grad_norm, 1e-30), 1.0)
        clipped.append(gradient * factor)
    return clipped


@register_serializable(legacy_package="zoo")
class AdaptiveClipping(OptimizerWrapper):
    """Wraps any optimizer and clips its gradients unit-wise, relative to the weights (AGC).

    Keras' `clipnorm` bounds a gradient's absolute norm; AGC bounds the ratio of each unit's
    gradient norm to its weight norm (see `adaptive_clip`), which is what keeps a step from
    changing a unit's weights by more than a fraction `clip_factor`. It is a wrapper, like
    Keras' `LossScaleOptimizer`, so it works with any optimizer, stock or not.

    The paper does not clip the final classifier layer; pass its variable names in `exclude`.
    Under `tf.distribute`, each replica's gradient is clipped before the gradients are summed,
    as Keras' own `clipnorm` does.

    Args:
        optimizer: the inner optimizer: an instance, a name ("sgd") or a config dict.
            Defaults to "sgd".
        clip_factor: lambda, > 0. Defaults to 0.01.
        epsilon: floor of the weight norm, > 0. Defaults to 1e-3.
        exclude: variable paths or names (substrings, e.g. "predictions/") left unclipped.
        name: optimizer name. Defaults to "adaptive_clipping".

    Example:

    >>> opt = zoo.optimizers.AdaptiveClipping(keras.optimizers.SGD(0.1, momentum=0.9),
    ...                                       clip_factor=0.02)             # doctest: +SKIP
    >>> model.compile(optimizer=opt, loss="sparse_categorical_crossentropy")  # doctest: +SKIP
    """

    config_arguments = OptimizerWrapper.config_arguments + ("clip_factor", "epsilon")

    def __init__(
        self, optimizer="sgd", clip_factor=0.01, epsilon=1e-3, exclude=(), name="adaptive_clipping",
        **kwargs,
    ):
        if isinstance(exclude, str) or not all(isinstance(item, str) for item in exclude):
            raise TypeError(
                f"`exclude` must be a list of variable names. Received: exclude={exclude!r}"
            )
        clip_factor = check_float("clip_factor", clip_factor, minimum=0.0, min_inclusive=False)
        epsilon = check_float("epsilon", epsilon, minimum=0.0, min_inclusive=False)
        super().__init__(optimizer, name=name, **kwargs)
        self.clip_factor = clip_factor
        self.epsilon = epsilon
        self.exclude = tuple(exclude)

    def _excluded(self, variable):
        label = getattr(variable, "path", variable.name)
        return any(pattern in label for pattern in self.exclude)

    def transform_gradients(self, grads, trainable_variables):
        return [
            g if g is None or self._excluded(v)
            else adaptive_clip([g], [v], self.clip_factor, self.epsilon)[0]
            for g, v in zip(grads, trainable_variables)
        ]

    def get_config(self):
        return {**super().get_config(), "exclude": list(self.exclude)}
