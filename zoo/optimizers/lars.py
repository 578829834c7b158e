"""LARS: layer-wise adaptive rate scaling (You, Gitman and Ginsburg 2017, "Large Batch Training
of Convolutional Networks")."""

from keras import ops

from zoo._keras_internals import variable_index
from zoo._serialization import register_serializable
from zoo._validation import check_bool, check_float
from zoo.optimizers._base import ZooOptimizer, check_decay_rate


@register_serializable(legacy_package="zoo")
class LARS(ZooOptimizer):
    """SGD with momentum whose step for each weight tensor is scaled by a trust ratio.

    Each variable (a layer's kernel, its bias, ...) gets its own local rate, so that the step
    is a fixed fraction of the weight's norm whatever the gradient's scale:

        local_lr = trust_coefficient * ||w|| / (||g|| + weight_decay_rate * ||w||)
        v = momentum * v + lr * local_lr * (g + weight_decay_rate * w)
        w -= v

    (Algorithm 1 of the paper.) Where `||w||` or `||g||` is zero, `local_lr` is 1.

    Args:
        learning_rate: global rate (gamma), float >= 0, schedule or callable. Defaults to 1.0.
        momentum: in [0, 1). Defaults to 0.9.
        trust_coefficient: eta, > 0. Defaults to 0.001.
        weight_decay_rate: beta, the L2 coefficient inside the trust ratio, >= 0. Defaults to 0.
        epsilon: added to the denominator of the trust ratio, >= 0. Defaults to 0.
        exclude_vectors: if True, variables of rank < 2 (biases, normalisation scales) take the
            plain momentum step without trust ratio or decay, a common practice. Defaults to False.
        gradient_centralization: centralise the gradients of kernels first. Defaults to False.
        **kwargs: the base optimizer arguments (`clipnorm`, `use_ema`, ...).

    Example:

    >>> model.compile(optimizer=zoo.optimizers.LARS(learning_rate=2.0), loss="mse")  # doctest: +SKIP
    """

    config_arguments = ZooOptimizer.config_arguments + (
        "momentum", "trust_coefficient", "weight_decay_rate", "epsilon", "exclude_vectors",
    )

    def __init__(
        self,
        learning_rate=1.0,
        momentum=0.9,
        trust_coefficient=0.001,
        weight_decay_rate=0.0,
        epsilon=0.0,
        exclude_vectors=False,
        gradient_centralization=False,
        name="lars",
        **kwargs,
    ):
        super().__init__(learning_rate, gradient_centralization, name=name, **kwargs)
        self.momentum = check_decay_rate("momentum", momentum)
        self.trust_coefficient = check_float(
            "trust_coefficient", trust_coefficient, minimum=0.0, min_inclusive=False
        )
        self.weight_decay_rate = check_float("weight_decay_rate", weight_decay_rate, minimum=0.0)
        self.epsilon = check_float("epsilon", epsilon, minimum=0.0)
        self.exclude_vectors = check_bool("exclude_vectors", exclude_vectors)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._velocities = self.add_optimizer_variables(var_list, "velocity")

    def update_step(self, gradient, variable, learning_rate):
        gradient = self.prepare_gradient(gradient, variable)
        lr = ops.cast(learning_rate, variable.dtype)
        velocity = self._velocities[variable_index(self, variable)]
        if self.exclude_vectors and len(variable.shape) < 2:
            step = lr * gradient
        else:
            weight_norm = ops.sqrt(ops.sum(ops.square(variable)))
            grad_norm = ops.sqrt(ops.sum(ops.square(gradient)))
            denominator = grad_norm + self.weight_decay_rate * weight_norm + self.epsilon
            both_positive = ops.logical_and(weight_norm > 0.0, grad_norm > 0.0)
            local_lr = ops.where(
                both_positive,
                self.trust_coefficient * weight_norm / ops.where(both_positive, denominator, 1.0),
                1.0,
            )
            step = lr * local_lr * (gradient + self.weight_decay_rate * variable)
        self.assign(velocity, self.momentum * velocity + step)
        self.assign_sub(variable, velocity)
