"""Curvature estimates against the exact Hessian, computed densely with a Jacobian of the gradient."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from diagnostics.hessian import (
    HessianProbe,
    dense_hessian,
    eigenvalue_density,
    hutchinson_trace,
    lanczos_extremes,
)


def _mlp(activation="tanh", hidden=8, inputs=6, classes=3, l2=None):
    regularizer = keras.regularizers.L2(l2) if l2 else None
    model = keras.Sequential([
        keras.Input((inputs,)),
        keras.layers.Dense(hidden, activation=activation, kernel_regularizer=regularizer),
        keras.layers.Dense(classes),
    ])
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _data(n=64, inputs=6, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, inputs)).astype("float32"), rng.integers(0, classes, n)


def _exact_hessian(model, x, y):
    """Independent reference: tf.GradientTape.jacobian of the flat gradient."""
    variables = model.trainable_variables
    with tf.GradientTape(persistent=True) as outer:
        with tf.GradientTape() as inner:
            loss = model.compute_loss(x=x, y=y, y_pred=model(x, training=False), training=False)
        grads = inner.gradient(loss, variables)
        flat = tf.concat([tf.reshape(tf.convert_to_tensor(g), [-1]) for g in grads], axis=0)
    size = int(flat.shape[0])
    blocks = [tf.reshape(j, [size, -1]).numpy() for j in outer.jacobian(flat, variables)]
    hessian = np.concatenate(blocks, axis=1).astype(np.float64)
    return 0.5 * (hessian + hessian.T)


@pytest.mark.parametrize("activation,l2", [("relu", 1e-2), pytest.param("tanh", None, marks=pytest.mark.slow),
                                           pytest.param("sigmoid", None, marks=pytest.mark.slow)])
def test_hvp_matches_dense_hessian(activation, l2):
    x, y = _data()
    model = _mlp(activation, l2=l2)
    exact = _exact_hessian(model, x, y)
    probe = HessianProbe(model, x, y)
    assert probe.size == exact.shape[0]
    v = np.random.default_rng(1).standard_normal(probe.size)
    np.testing.assert_allclose(probe.hvp(v), exact @ v, rtol=1e-4, atol=1e-5 * np.abs(exact).max())
    np.testing.assert_allclose(dense_hessian(probe), exact, atol=1e-5 * np.abs(exact).max())


def test_hvp_through_an_embedding_matches_the_dense_hessian():
    # An Embedding's gradient is IndexedSlices, which a second gradient cannot go through as it is.
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 12, (32, 5)), rng.integers(0, 3, 32)
    model = keras.Sequential([keras.Input((5,), dtype="int32"), keras.layers.Embedding(12, 3),
                              keras.layers.GlobalAveragePooling1D(), keras.layers.Dense(3)])
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    probe = HessianProbe(model, x, y)
    v = rng.standard_normal(probe.size)
    exact = _exact_hessian(model, x, y)
    np.testing.assert_allclose(probe.hvp(v), exact @ v, rtol=1e-4, atol=1e-5 * np.abs(exact).max())


@pytest.mark.parametrize("activation,hidden,seed", [
    ("tanh", 8, 0), ("tanh", 16, 1), pytest.param("softplus", 12, 2, marks=pytest.mark.slow),
])
def test_lanczos_extremes_within_two_percent_in_thirty_hvps(activation, hidden, seed):
    keras.utils.set_random_seed(seed)
    x, y = _data(seed=seed)
    model = _mlp(activation, hidden=hidden)
    eigenvalues = np.linalg.eigvalsh(_exact_hessian(model, x, y))
    probe = HessianProbe(model, x, y)
    assert probe.size > 30  # so that Lanczos cannot simply span the whole space
    spectrum = lanczos_extremes(probe, max_iter=30)
    assert spectrum.hvps <= 30 and probe.hvp_count == spectrum.hvps
    radius = np.abs(eigenvalues).max()
    assert abs(spectrum.max_eigenvalue - eigenvalues[-1]) <= 0.02 * abs(eigenvalues[-1])
    assert abs(spectrum.min_eigenvalue - eigenvalues[0]) <= 0.02 * max(abs(eigenvalues[0]), 0.05 * radius)
    # The returned eigenvector belongs to the smallest eigenvalue: its Rayleigh quotient matches.
    v = spectrum.min_eigenvector
    assert v @ probe.hvp(v) == pytest.approx(spectrum.min_eigenvalue, rel=0.02, abs=1e-3 * radius)


def test_lanczos_is_exact_on_a_saddle():
    """f(a, b) = a^2 - b^2 has eigenvalues 2 and -2 everywhere."""
    model = _saddle_model()
    probe = HessianProbe(model, np.zeros((4, 1), "float32"), np.zeros((4, 1), "float32"))
    spectrum = lanczos_extremes(probe)
    assert spectrum.max_eigenvalue == pytest.approx(2.0, rel=1e-5)
    assert spectrum.min_eigenvalue == pytest.approx(-2.0, rel=1e-5)
    assert spectrum.converged and spectrum.hvps <= 2
    np.testing.assert_allclose(np.abs(spectrum.min_eigenvector), [0.0, 1.0], atol=1e-6)


def test_hutchinson_trace_within_its_standard_error():
    x, y = _data()
    model = _mlp("tanh")
    exact = np.trace(_exact_hessian(model, x, y))
    trace, error = hutchinson_trace(HessianProbe(model, x, y), num_samples=40)
    assert error > 0
    assert abs(trace - exact) <= 4 * error


def test_density_is_a_probability_density_with_the_moments_of_the_spectrum():
    x, y = _data()
    model = _mlp("tanh")
    eigenvalues = np.linalg.eigvalsh(_exact_hessian(model, x, y))
    runs = 2
    grid, density, nodes, weights = eigenvalue_density(HessianProbe(model, x, y), num_runs=runs, num_steps=15)
    assert weights.sum() == pytest.approx(1.0, rel=1e-6)
    assert np.trapezoid(density, grid) == pytest.approx(1.0, rel=1e-2)
    # Each run's quadrature gives v' H^j v exactly (j < 30) for its random unit start v, whose
    # mean is tr(H^j) / size, with a variance of about 2 var(eigenvalue^j) / (size + 2) per run.
    for power in (1, 2):
        moments = eigenvalues**power
        spread = np.sqrt(2.0 * moments.var() / ((len(eigenvalues) + 2) * runs))
        assert abs(float(nodes**power @ weights) - moments.mean()) <= 4.0 * spread


def test_lanczos_over_the_whole_space_recovers_the_dense_spectrum():
    """With as many steps as weights, the Ritz values are the eigenvalues of the Hessian."""
    x = np.random.default_rng(0).standard_normal((32, 3)).astype("float32")
    y = np.tanh(x @ np.array([[1.0], [-1.0], [0.5]], "float32"))
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="tanh"), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    eigenvalues = np.linalg.eigvalsh(_exact_hessian(model, x, y))
    probe = HessianProbe(model, x, y)
    _, _, nodes, weights = eigenvalue_density(probe, num_runs=1, num_steps=probe.size)
    assert len(nodes) == probe.size == len(eigenvalues)
    np.testing.assert_allclose(np.sort(nodes), eigenvalues, atol=1e-4 * np.abs(eigenvalues).max())
    spectrum = lanczos_extremes(probe, max_iter=probe.size, tolerance=0.0)
    assert spectrum.converged
    np.testing.assert_allclose(spectrum.ritz_values, eigenvalues, atol=1e-4 * np.abs(eigenvalues).max())


def test_uncompiled_model_and_bad_vector_are_refused():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="compiled"):
        HessianProbe(model, np.zeros((2, 2)), np.zeros((2, 1)))
    model.compile("sgd", "mse")
    probe = HessianProbe(model, np.zeros((2, 2), "float32"), np.zeros((2, 1), "float32"))
    with pytest.raises(ValueError, match="Received: vector.shape"):
        probe.hvp(np.zeros(5))
    with pytest.raises(ValueError, match="max_iter"):
        lanczos_extremes(probe, max_iter=0)


class _SaddleLayer(keras.layers.Layer):
    """Outputs a^2 - b^2 for every sample, with (a, b) its only weights."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=(2,), initializer=keras.initializers.Constant([1.0, 0.0]), name="w")

    def call(self, inputs):
        value = self.w[0] ** 2 - self.w[1] ** 2
        return keras.ops.zeros_like(inputs[:, :1]) + value


def _saddle_model():
    model = keras.Sequential([keras.Input((1,)), _SaddleLayer()])
    model.compile("sgd", loss=lambda y_true, y_pred: keras.ops.mean(y_pred))
    return model


def test_probe_of_a_model_built_under_mirrored_strategy(mirrored_strategy):
    x, y = _data()
    keras.utils.set_random_seed(3)
    reference = _mlp("tanh")
    with mirrored_strategy.scope():
        keras.utils.set_random_seed(3)
        distributed = _mlp("tanh")
    distributed.set_weights(reference.get_weights())
    v = np.random.default_rng(2).standard_normal(HessianProbe(reference, x, y).size)
    np.testing.assert_allclose(HessianProbe(distributed, x, y).hvp(v), HessianProbe(reference, x, y).hvp(v),
                               rtol=1e-4, atol=1e-6)


class _NonFiniteHessian:
    """Hessian-vector products of a model whose loss went non-finite."""

    size = 3

    def hvp(self, vector):
        return np.full(self.size, np.nan)


def test_non_finite_curvature_is_a_clear_error_not_a_linear_algebra_failure():
    with pytest.raises(FloatingPointError, match="not finite"):
        lanczos_extremes(_NonFiniteHessian())


def test_at_weights_probes_other_weights_and_restores_the_current_ones_exactly():
    x, y = _data()
    model = _mlp()
    probe = HessianProbe(model, x, y)
    current = [v.numpy().copy() for v in model.trainable_variables]
    other = [np.full_like(value, 0.01 * (i + 1)) for i, value in enumerate(current)]
    model.set_weights(other)
    expected_loss, expected_hessian = model.evaluate(x, y, verbose=0), _exact_hessian(model, x, y)
    model.set_weights(current)
    with probe.at_weights(other):
        loss, _ = probe.loss_and_gradient()
        column = probe.hvp(np.eye(probe.size)[0])
    assert loss == pytest.approx(expected_loss, rel=1e-5)
    np.testing.assert_allclose(column, expected_hessian[:, 0], rtol=1e-4, atol=1e-6)
    for variable, value in zip(model.trainable_variables, current):
        np.testing.assert_array_equal(variable.numpy(), value)
    with pytest.raises(ValueError, match="Received: values shapes"):
        with probe.at_weights(other[:1]):
            pass
