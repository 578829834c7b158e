"""The two behaviours these optimizers exist for: escaping a saddle point, finding flat minima."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from tests.zoo.optimizers._factories import minimise
from zoo.optimizers import SAM, PerturbedSGD


def saddle(w):
    """f(x, y) = x^2 - y^2 + (x^4 + y^4) / 4: a strict saddle at (0, 0), minima (0, +-sqrt 2)."""
    x, y = w[0], w[1]
    return x**2 - y**2 + (x**4 + y**4) / 4


def descend_from_origin(optimizer, steps=400):
    return minimise(optimizer, saddle, np.zeros(2), steps)


@pytest.mark.parametrize("make", [lambda: keras.optimizers.SGD(0.05), lambda: keras.optimizers.Adam(0.05)], ids=["sgd", "adam"])
def test_sgd_and_adam_stay_at_the_saddle(make):
    np.testing.assert_array_equal(descend_from_origin(make()), [0.0, 0.0])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_perturbed_sgd_escapes_to_a_minimum(seed):
    w = descend_from_origin(PerturbedSGD(0.05, gradient_threshold=1e-3, perturbation_radius=0.01, seed=seed))
    assert abs(w[0]) < 0.02 and abs(abs(w[1]) - np.sqrt(2)) < 0.02, w
    assert float(saddle(tf.constant(w))) == pytest.approx(-1.0, abs=1e-3)


def regression_problem():
    rng = np.random.default_rng(0)
    x = rng.uniform(-2, 2, size=(128, 2)).astype("float32")
    y = (np.sin(2 * x[:, :1]) * np.cos(x[:, 1:])).astype("float32")
    return x, y


def tanh_net():
    keras.utils.set_random_seed(1)  # both runs start from the same weights
    return keras.Sequential([keras.Input((2,)), keras.layers.Dense(16, activation="tanh"), keras.layers.Dense(1)])


def largest_hessian_eigenvalue(model, x, y):
    """Dense Hessian of the full-batch MSE over all weights (49 here), then its top eigenvalue."""
    variables = model.trainable_variables
    with tf.GradientTape(persistent=True) as outer:
        with tf.GradientTape() as inner:
            loss = tf.reduce_mean(tf.square(model(x) - y))
        gradient = tf.concat([tf.reshape(g, [-1]) for g in inner.gradient(loss, variables)], 0)
    rows = [tf.reshape(block, [gradient.shape[0], -1]) for block in outer.jacobian(gradient, variables)]
    hessian = tf.concat(rows, axis=1).numpy()
    return float(np.linalg.eigvalsh((hessian + hessian.T) / 2)[-1])


def test_sam_ends_in_a_flatter_minimum_than_its_base_optimizer():
    x, y = regression_problem()
    steps = tf.data.Dataset.from_tensors((x, y)).repeat(150)  # 150 full-batch steps, one epoch

    base = tanh_net()
    base.compile(keras.optimizers.SGD(0.2), "mse", steps_per_execution=50)
    base.fit(steps, shuffle=False, verbose=0)

    net = tanh_net()
    sam = SAM(net, rho=0.1)
    sam.compile(keras.optimizers.SGD(0.2), "mse", steps_per_execution=50)
    sam.fit(steps, shuffle=False, verbose=0)

    sharp, flat = largest_hessian_eigenvalue(base, x, y), largest_hessian_eigenvalue(net, x, y)
    assert flat < 0.7 * sharp, (flat, sharp)
