"""Each optimizer's first updates against a NumPy transcription of its published update rule."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.optimizers import (
    LARS, SAM, SWA, AdaBelief, AdaptiveClipping, Lookahead, PerturbedSGD, RAdam, Yogi,
    centralize_gradient,
)

# A non-quadratic objective (so the gradient changes between steps): grad = A w + B + 0.1 w^3.
A = np.array([[1.0, 2.0, 0.5], [0.3, 1.5, 3.0]])
B = np.array([[0.2, -0.4, 1.0], [-0.7, 0.05, 0.3]])
W0 = np.array([[0.5, -1.0, 2.0], [1.5, 0.0, -0.3]])


def gradient(w):
    return A * w + B + 0.1 * w**3


def run(optimizer, steps=3, w0=W0):
    """Weights after each of `steps` applications of `optimizer`, eagerly."""
    variable = keras.Variable(w0.astype("float32"))
    path = []
    for _ in range(steps):
        optimizer.apply([tf.constant(gradient(variable.numpy().astype("float64")), "float32")], [variable])
        path.append(variable.numpy().astype("float64"))
    return np.array(path)


def reference(rule, steps=3, w0=W0):
    """Weights after each step of `rule(w, g, t, state) -> w`, t counted from 1."""
    w, state, path = w0.copy(), {}, []
    for t in range(1, steps + 1):
        w = rule(w, gradient(w), t, state)
        path.append(w.copy())
    return np.array(path)


def radam_rule(lr, beta_1, beta_2, eps, threshold):
    rho_inf = 2 / (1 - beta_2) - 1

    def rule(w, g, t, s):
        s["m"] = beta_1 * s.get("m", 0) + (1 - beta_1) * g
        s["v"] = beta_2 * s.get("v", 0) + (1 - beta_2) * g**2
        m_hat = s["m"] / (1 - beta_1**t)
        rho_t = rho_inf - 2 * t * beta_2**t / (1 - beta_2**t)
        if rho_t > threshold:
            r = np.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            return w - lr * r * m_hat * np.sqrt(1 - beta_2**t) / (np.sqrt(s["v"]) + eps)
        return w - lr * m_hat

    return rule


def test_radam_matches_reference_in_both_phases():
    np.testing.assert_allclose(run(RAdam(0.01)), reference(radam_rule(0.01, 0.9, 0.999, 1e-7, 5.0)), rtol=1e-5)
    # beta_2 = 0.9 reaches rho_t > 5 at step 6, so ten steps cover the rectified phase too.
    rule = radam_rule(0.01, 0.9, 0.9, 1e-7, 5.0)
    np.testing.assert_allclose(run(RAdam(0.01, beta_2=0.9), steps=10), reference(rule, steps=10), rtol=1e-5)


def yogi_rule(lr, b1, b2, eps, v0, bias_correction):
    """TensorFlow Addons' Yogi (sign activation, no L1/L2), transcribed in NumPy."""

    def rule(w, g, t, s):
        s["m"] = b1 * s.get("m", 0) + (1 - b1) * g
        v = s.get("v", np.full_like(w, v0))
        s["v"] = v + (1 - b2) * np.sign(g**2 - v) * g**2
        rate = lr * np.sqrt(1 - b2**t) / (1 - b1**t) if bias_correction else lr
        return w - rate * s["m"] / (np.sqrt(s["v"]) + eps)

    return rule


@pytest.mark.parametrize("bias_correction", [True, False])
def test_yogi_matches_reference_for_three_steps(bias_correction):
    lr, b1, b2, eps, v0 = 0.05, 0.9, 0.999, 1e-3, 1e-6
    expected = reference(yogi_rule(lr, b1, b2, eps, v0, bias_correction))
    np.testing.assert_allclose(run(Yogi(lr, bias_correction=bias_correction)), expected, rtol=1e-5)


def test_yogi_bias_correction_is_on_by_default():
    expected = reference(yogi_rule(0.05, 0.9, 0.999, 1e-3, 1e-6, bias_correction=True))
    np.testing.assert_allclose(run(Yogi(0.05)), expected, rtol=1e-5)
    assert Yogi.from_config(Yogi(0.05, bias_correction=False).get_config()).bias_correction is False


def adabelief_rule(lr, b1, b2, eps):
    def rule(w, g, t, s):
        s["m"] = b1 * s.get("m", 0) + (1 - b1) * g
        s["s"] = b2 * s.get("s", 0) + (1 - b2) * (g - s["m"]) ** 2 + eps
        return w - lr * (s["m"] / (1 - b1**t)) / (np.sqrt(s["s"] / (1 - b2**t)) + eps)

    return rule


def test_adabelief_matches_reference():
    np.testing.assert_allclose(run(AdaBelief(0.01)), reference(adabelief_rule(0.01, 0.9, 0.999, 1e-16)), rtol=1e-5)


# Keras keeps the learning rate (and Yogi's initial accumulator) in float32 variables.
LR_01, LR_05, V0 = (float(np.float32(value)) for value in (0.01, 0.05, 1e-6))
ADAM_LIKE = {
    "radam": (lambda: RAdam(0.01, beta_2=0.9), radam_rule(LR_01, 0.9, 0.9, 1e-7, 5.0)),
    "yogi": (lambda: Yogi(0.05), yogi_rule(LR_05, 0.9, 0.999, 1e-3, V0, bias_correction=True)),
    "adabelief": (lambda: AdaBelief(0.01), adabelief_rule(LR_01, 0.9, 0.999, 1e-16)),
}


@pytest.mark.parametrize("name", sorted(ADAM_LIKE))
def test_fused_update_of_a_large_variable_matches_reference(name):
    # 300 x 300 weights: above FUSED_MIN_ELEMENTS, so the XLA-fused kernel does the update;
    # float64, so that the comparison is exact to rounding.
    rng = np.random.default_rng(1)
    a, b, w0 = rng.uniform(0.2, 2.0, (300, 300)), rng.normal(size=(300, 300)), rng.normal(size=(300, 300))
    make, rule = ADAM_LIKE[name]
    optimizer, variable = make(), keras.Variable(w0, dtype="float64")
    w, state = w0.copy(), {}
    for t in range(1, 8):  # RAdam with beta_2 = 0.9 switches to its adaptive step at t = 6
        grad = a * w + b
        w = rule(w, grad, t, state)
        optimizer.apply([tf.constant(a * variable.numpy() + b)], [variable])
        np.testing.assert_allclose(variable.numpy(), w, rtol=1e-9, atol=1e-12)


def test_lars_matches_reference():
    lr, momentum, eta, beta = 2.0, 0.9, 0.01, 0.1

    def rule(w, g, t, s):
        local = eta * np.linalg.norm(w) / (np.linalg.norm(g) + beta * np.linalg.norm(w))
        s["v"] = momentum * s.get("v", 0) + lr * local * (g + beta * w)
        return w - s["v"]

    optimizer = LARS(lr, momentum=momentum, trust_coefficient=eta, weight_decay_rate=beta)
    np.testing.assert_allclose(run(optimizer), reference(rule), rtol=1e-5)


def test_perturbed_sgd_is_gradient_descent_while_the_gradient_is_large():
    def rule(w, g, t, s):
        return w - 0.05 * g

    np.testing.assert_allclose(run(PerturbedSGD(0.05, gradient_threshold=0.5)), reference(rule), rtol=1e-5)


def test_perturbed_sgd_perturbs_at_a_flat_point_once_per_interval():
    # Zero gradient everywhere: only perturbations move the weights.
    size, radius, interval = 4000, 0.1, 3
    variable = keras.Variable(np.zeros(size, "float32"))
    optimizer = PerturbedSGD(0.1, perturbation_radius=radius, perturbation_interval=interval, seed=3)
    positions = [variable.numpy().copy()]
    for _ in range(7):
        optimizer.apply([tf.zeros(size)], [variable])
        positions.append(variable.numpy().copy())
    moves = [np.linalg.norm(b - a) for a, b in zip(positions, positions[1:])]
    for step, move in enumerate(moves):
        if step % interval == 0:
            assert move == pytest.approx(radius, rel=0.1), (step, moves)
        else:
            assert move == 0.0, (step, moves)
    first, second = positions[1] - positions[0], positions[4] - positions[3]
    assert abs(np.dot(first, second)) < 0.2 * radius**2  # fresh directions


def test_adaptive_clipping_clips_unitwise_then_applies_the_inner_rule():
    lr, lam, eps = 0.1, 0.05, 1e-3

    def rule(w, g, t, s):
        w_norm = np.maximum(np.linalg.norm(w, axis=0, keepdims=True), eps)
        g_norm = np.linalg.norm(g, axis=0, keepdims=True)
        clipped = np.where(g_norm > lam * w_norm, g * lam * w_norm / g_norm, g)
        return w - lr * clipped

    optimizer = AdaptiveClipping(keras.optimizers.SGD(lr), clip_factor=lam, epsilon=eps)
    expected = reference(rule)
    np.testing.assert_allclose(run(optimizer), expected, rtol=1e-5)
    assert not np.allclose(expected, reference(lambda w, g, t, s: w - lr * g))  # clipping acted


def test_lookahead_pulls_back_every_k_steps():
    lr, k, alpha = 0.05, 2, 0.5

    def rule(w, g, t, s):
        slow = s.setdefault("slow", W0.copy())
        w = w - lr * g
        if t % k == 0:
            s["slow"] = slow + alpha * (w - slow)
            w = s["slow"].copy()
        return w

    optimizer = Lookahead(keras.optimizers.SGD(lr), sync_period=k, slow_step_size=alpha)
    np.testing.assert_allclose(run(optimizer, steps=5), reference(rule, steps=5), rtol=1e-5)


def test_swa_leaves_the_trajectory_alone_and_averages_it():
    lr = 0.05
    optimizer = SWA(keras.optimizers.SGD(lr), start_averaging=1, average_period=2)
    variable = keras.Variable(W0.astype("float32"))
    path = []
    for _ in range(6):
        optimizer.apply([tf.constant(gradient(variable.numpy().astype("float64")), "float32")], [variable])
        path.append(variable.numpy().astype("float64"))
    np.testing.assert_allclose(path, reference(lambda w, g, t, s: w - lr * g, steps=6), rtol=1e-5)
    # Steps 1, 3, 5 (counted from 1 after `start_averaging=1`): the weights after steps 1, 3 and 5.
    assert int(optimizer.num_averaged.numpy()) == 3
    optimizer.assign_average_weights([variable])
    np.testing.assert_allclose(variable.numpy(), np.mean([path[0], path[2], path[4]], axis=0), rtol=1e-5)


def test_sam_steps_with_the_gradient_at_the_ascent_point():
    # One linear unit, mean squared error: the gradient is known in closed form.
    rng = np.random.default_rng(0)
    x = rng.normal(size=(16, 3))
    y = x @ np.array([1.0, -2.0, 0.5]) + 0.3
    w0, lr, rho = np.array([0.1, 0.2, -0.3]), 0.1, 0.2

    def grad(w):
        return 2 * x.T @ (x @ w - y) / len(x)

    w, expected = w0.copy(), []
    for _ in range(3):
        g = grad(w)
        e = rho * g / np.linalg.norm(g)
        w = w - lr * grad(w + e)
        expected.append(w.copy())

    net = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, use_bias=False)])
    net.layers[0].kernel.assign(w0[:, None].astype("float32"))
    model = SAM(net, rho=rho)
    model.compile(keras.optimizers.SGD(lr), "mse")
    path = []
    for _ in range(3):
        model.train_on_batch(x.astype("float32"), y[:, None].astype("float32"))
        path.append(net.layers[0].kernel.numpy()[:, 0].astype("float64"))
    np.testing.assert_allclose(path, expected, rtol=1e-5)


SINGLE_PASS = [
    lambda **kw: RAdam(0.01, beta_2=0.9, **kw),
    lambda **kw: Yogi(0.05, **kw),
    lambda **kw: AdaBelief(0.01, **kw),
    lambda **kw: LARS(2.0, trust_coefficient=0.01, **kw),
    lambda **kw: PerturbedSGD(0.05, **kw),
]


def numpy_centralised(g):
    """Yong et al.'s gradient centralisation: subtract the mean over all axes but the last."""
    return g if g.ndim < 2 else g - g.mean(axis=tuple(range(g.ndim - 1)), keepdims=True)


@pytest.mark.parametrize("make", SINGLE_PASS, ids=["radam", "yogi", "adabelief", "lars", "perturbed_sgd"])
def test_gradient_centralization_feeds_the_rule_centralised_gradients(make):
    with_flag = make(gradient_centralization=True)
    variable = keras.Variable(W0.astype("float32"))
    plain = make()
    reference_variable = keras.Variable(W0.astype("float32"))
    for _ in range(3):
        g = tf.constant(gradient(variable.numpy().astype("float64")), "float32")
        with_flag.apply([g], [variable])
        g_ref = gradient(reference_variable.numpy().astype("float64"))
        plain.apply([tf.constant(numpy_centralised(g_ref), "float32")], [reference_variable])
    np.testing.assert_allclose(variable.numpy(), reference_variable.numpy(), rtol=1e-5, atol=1e-7)
    assert not np.allclose(variable.numpy(), run(make())[-1], atol=1e-4)


def test_centralize_gradient_against_numpy():
    g = np.arange(24, dtype="float32").reshape(2, 3, 4) ** 1.5
    np.testing.assert_allclose(centralize_gradient(tf.constant(g)).numpy(), numpy_centralised(g), rtol=1e-6, atol=1e-5)
    np.testing.assert_array_equal(centralize_gradient(tf.constant([1.0, 2.0])).numpy(), [1.0, 2.0])


def test_lars_exclude_vectors_gives_biases_the_plain_momentum_step():
    optimizer = LARS(0.1, momentum=0.5, trust_coefficient=0.01, exclude_vectors=True)
    bias = keras.Variable(np.array([1.0, -2.0], "float32"))
    for _ in range(2):
        optimizer.apply([tf.constant([0.5, 0.25])], [bias])
    # v1 = 0.1 g, v2 = 0.5 v1 + 0.1 g = 0.15 g; w = w0 - 0.25 g
    np.testing.assert_allclose(bias.numpy(), [1.0 - 0.125, -2.0 - 0.0625], rtol=1e-6)


def test_lookahead_built_inside_a_traced_train_step_starts_from_the_model_weights():
    # With k = 1 and alpha = 0.5 each step is half the inner step, from the initial weights on.
    x = np.random.default_rng(0).normal(size=(8, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True) + 1.0
    weights = []
    for optimizer in (Lookahead(keras.optimizers.SGD(0.1), sync_period=1), keras.optimizers.SGD(0.05)):
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, kernel_initializer="ones")])
        model.compile(optimizer, "mse")
        model.train_on_batch(x, y)  # the optimizer is built while the step is traced
        weights.append([np.array(w) for w in model.weights])
    for a, b in zip(*weights):
        np.testing.assert_allclose(a, b, rtol=1e-6)
