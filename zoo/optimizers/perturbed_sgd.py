"""Perturbed gradient descent, which escapes saddle points (Jin, Ge, Netrapalli, Kakade and Jordan
2017, "How to Escape Saddle Points Efficiently")."""

import math

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from zoo._keras_internals import optimizer_variables, variable_index
from zoo._serialization import register_serializable
from zoo._validation import check_float, check_int
from zoo.optimizers._base import ZooOptimizer


@register_serializable(legacy_package="zoo")
class PerturbedSGD(ZooOptimizer):
    """Gradient descent that adds random noise when the gradient is small.

    At a strict saddle point the gradient is zero, so plain gradient descent (and Adam, which
    rescales a zero gradient to zero) stays there forever. Perturbed gradient descent checks the
    global gradient norm (over all variables) before each step:

        if ||g|| <= gradient_threshold and the last perturbation is >= perturbation_interval
        steps old:   w += xi,  xi ~ N(0, perturbation_radius^2 / d * I)   (d = number of weights)
        w -= lr * g

    `xi` has a norm of about `perturbation_radius`; the random direction has a component along
    the saddle's negative-curvature direction, which gradient descent then amplifies. The paper
    samples `xi` uniformly from a ball and takes the next gradient at the perturbed point; the
    isotropic Gaussian (Jin et al. 2019) has the same guarantees, and the gradient used here is
    the one at the unperturbed point (which is below the threshold, so the difference is small).
    Under `tf.distribute` the norm is that of the gradient summed over replicas, and every
    replica draws the same noise (a stateless generator seeded by `seed` and the step). With
    `gradient_accumulation_steps`, the test uses each micro-batch's gradient.

    Args:
        learning_rate: eta, float >= 0, schedule or callable. Defaults to 0.01.
        gradient_threshold: g_thres, the norm below which to perturb, >= 0. Defaults to 1e-3.
        perturbation_radius: r, > 0. Defaults to 0.01.
        perturbation_interval: t_thres, the minimum number of steps between perturbations, >= 1.
            Defaults to 10.
        seed: int seed of the noise; None draws one from NumPy's global generator (so
            `keras.utils.set_random_seed` makes runs repeatable). Stored in the config.
        gradient_centralization: centralise the gradients of kernels first. Defaults to False.
        **kwargs: the base optimizer arguments (`weight_decay`, `clipnorm`, `use_ema`, ...).

    Example:

    >>> opt = zoo.optimizers.PerturbedSGD(0.05, gradient_threshold=1e-3)  # doctest: +SKIP
    >>> model.compile(optimizer=opt, loss="mse")                          # doctest: +SKIP
    """

    config_arguments = ZooOptimizer.config_arguments + (
        "gradient_threshold", "perturbation_radius", "perturbation_interval", "seed",
    )

    def __init__(
        self,
        learning_rate=0.01,
        gradient_threshold=1e-3,
        perturbation_radius=0.01,
        perturbation_interval=10,
        seed=None,
        gradient_centralization=False,
        name="perturbed_sgd",
        **kwargs,
    ):
        super().__init__(learning_rate, gradient_centralization, name=name, **kwargs)
        self.gradient_threshold = check_float("gradient_threshold", gradient_threshold, minimum=0.0)
        self.perturbation_radius = check_float(
            "perturbation_radius", perturbation_radius, minimum=0.0, min_inclusive=False
        )
        self.perturbation_interval = check_int("perturbation_interval", perturbation_interval, minimum=1)
        if seed is None:
            seed = int(np.random.randint(0, 2**31 - 1))
        self.seed = check_int("seed", seed, minimum=0, maximum=2**31 - 1)

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._total_size = sum(math.prod(v.shape) for v in var_list)
        # Written in the replica context before the update, read by every update_step.
        self._perturb_now = self.add_variable(
            (), initializer="zeros", dtype="float32", aggregation="only_first_replica",
            name="perturb_now",
        )
        self._last_perturbation = self.add_variable(
            (), initializer=keras.initializers.Constant(-self.perturbation_interval), dtype="int64",
            aggregation="only_first_replica", name="last_perturbation",
        )

    def apply(self, grads, trainable_variables=None):
        if not self.built and trainable_variables is not None:
            with keras.name_scope(self.name, caller=self):
                self.build(list(trainable_variables))
            self.built = True
        norm = self._global_norm(grads)
        step = ops.cast(self.iterations, "int64")
        perturb = ops.logical_and(
            norm <= self.gradient_threshold,
            step - self._last_perturbation >= self.perturbation_interval,
        )
        self._perturb_now.assign(ops.cast(perturb, "float32"))
        self._last_perturbation.assign(ops.where(perturb, step, self._last_perturbation))
        return super().apply(grads, trainable_variables)

    def _global_norm(self, grads):
        dense = [tf.convert_to_tensor(g) for g in grads if g is not None]
        context = tf.distribute.get_replica_context()
        if context is not None and context.num_replicas_in_sync > 1:
            dense = context.all_reduce(tf.distribute.ReduceOp.SUM, dense)
        squares = [ops.sum(ops.square(ops.cast(g, "float32"))) for g in dense]
        norm = ops.sqrt(ops.sum(ops.stack(squares))) if squares else ops.zeros(())
        if self.loss_scale_factor is not None:
            norm = norm / self.loss_scale_factor
        return norm

    def update_step(self, gradient, variable, learning_rate):
        gradient = self.prepare_gradient(gradient, variable)
        lr = ops.cast(learning_rate, variable.dtype)
        index = variable_index(self, variable)
        self.assign_sub(variable, lr * gradient)

        def add_noise():
            stream = ops.cast(self.iterations, "int64") * len(optimizer_variables(self)) + index
            seed = ops.stack([ops.cast(self.seed, "int64"), stream])
            noise = tf.random.stateless_normal(tuple(variable.shape), seed, dtype=variable.dtype)
            scale = self.perturbation_radius / math.sqrt(self._total_size)
            self.assign_add(variable, noise * ops.cast(scale, variable.dtype))

        ops.cond(self._perturb_now > 0.5, add_noise, lambda: None)
