"""Every optimizer in real use: convergence, configs, names in compile, saving and resuming,
sparse gradients, mixed precision and MirroredStrategy; and the argument checks."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo.optimizers
from tests.zoo.optimizers._factories import OPTIMIZERS, minimise
from zoo.optimizers import (
    LARS, SAM, SWA, AdaBelief, AdaptiveClipping, Lookahead, PerturbedSGD, RAdam, Yogi,
)

NAMES = sorted(OPTIMIZERS)


def tiered(names, default):
    """`names` as parameters, those outside `default` marked slow (fits cost seconds each)."""
    return [name if name in default else pytest.param(name, marks=pytest.mark.slow) for name in names]


def quadratic_minimum(optimizer, steps=400):
    """Runs `optimizer` on f(w) = 0.5 sum a (w - c)^2 from w = 1; returns (w, c)."""
    a = tf.constant([0.5, 1.0, 2.0, 3.0, 1.5, 0.8])
    c = tf.constant([0.3, -1.2, 0.7, 2.0, -0.4, 1.1])
    w = minimise(optimizer, lambda w: 0.5 * tf.reduce_sum(a * tf.square(w - c)), np.ones(6), steps)
    return w, c.numpy()


@pytest.mark.parametrize("name", NAMES)
def test_converges_on_a_convex_quadratic(name):
    w, c = quadratic_minimum(OPTIMIZERS[name]())
    assert np.linalg.norm(w - c) < 0.05, (name, w, c)


def regression_data(n=64):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(n, 4)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5, 0.0]) + 0.3).astype("float32")[:, None]
    return x, y


def small_net(batch_norm=False):
    layers = [keras.Input((4,)), keras.layers.Dense(8, activation="tanh", name="hidden")]
    if batch_norm:
        layers.append(keras.layers.BatchNormalization(name="norm"))
    return keras.Sequential(layers + [keras.layers.Dense(1, name="out")], name="net")


@pytest.mark.slow
def test_sam_converges_on_least_squares():
    x, y = regression_data()
    net = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model = SAM(net, rho=0.01)
    model.compile(keras.optimizers.SGD(0.1), "mse")
    model.fit(x, y, epochs=60, batch_size=64, verbose=0)
    solution, *_ = np.linalg.lstsq(np.c_[x, np.ones(len(x))], y, rcond=None)
    fitted = np.r_[net.layers[0].kernel.numpy(), net.layers[0].bias.numpy()[None]]
    assert np.linalg.norm(fitted - solution) < 0.05


def test_config_round_trip():
    for name in NAMES:
        optimizer = OPTIMIZERS[name]()
        config = optimizer.get_config()
        clone = type(optimizer).from_config(config)
        assert clone.get_config() == config, name
        restored = keras.optimizers.deserialize(keras.optimizers.serialize(optimizer))
        assert type(restored) is type(optimizer) and restored.get_config() == config, name


def test_sam_config_round_trip():
    model = SAM(small_net(), rho=0.1)
    clone = SAM.from_config(model.get_config())
    assert clone.rho == 0.1 and len(clone.inner_model.layers) == len(model.inner_model.layers)


BY_NAME = [
    ("zoo_diagnostics>RAdam", RAdam), ("zoo>RAdam", RAdam), ("RAdam", RAdam), ("zoo_diagnostics>Yogi", Yogi), ("radam", RAdam), ("yogi", Yogi),
    ("zoo>AdaBelief", AdaBelief), ("adabelief", AdaBelief), ("lars", LARS), ("LARS", LARS),
    ("perturbed_sgd", PerturbedSGD), ("adaptive_clipping", AdaptiveClipping),
    ("zoo>Lookahead", Lookahead), ("lookahead", Lookahead), ("swa", SWA), ("zoo>SWA", SWA),
]


def test_names_resolve_through_keras_optimizers_get():
    for identifier, cls in BY_NAME:
        assert type(keras.optimizers.get(identifier)) is cls, identifier


@pytest.mark.parametrize("identifier, cls", [("zoo>RAdam", RAdam)])
def test_usable_by_name_in_compile(identifier, cls):
    x, y = regression_data(16)
    model = small_net()
    model.compile(optimizer=identifier, loss="mse")
    model.fit(x, y, epochs=1, verbose=0)
    assert type(model.optimizer) is cls
    assert int(model.optimizer.iterations.numpy()) == 1


def fit_twice_and_compare_with_reload(model, make_optimizer, tmp_path, x, y):
    model.compile(make_optimizer(), "mse")
    model.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded.optimizer) is type(model.optimizer)
    for a, b in zip(model.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b), err_msg=a.path)
    history = model.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0).history
    loaded_history = loaded.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0).history
    np.testing.assert_allclose(loaded_history["loss"], history["loss"], rtol=1e-6)
    for a, b in zip(model.weights, loaded.weights):
        np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=1e-6, atol=1e-7, err_msg=a.path)


@pytest.mark.parametrize("name", tiered(NAMES, {"perturbed_sgd"}))
def test_save_load_resumes_identically(name, tmp_path):
    make = OPTIMIZERS[name]
    if name == "perturbed_sgd":  # a threshold that every step passes, so the noise stream matters
        def make():
            return PerturbedSGD(0.05, gradient_threshold=100.0, perturbation_interval=2, seed=7)
    x, y = regression_data()
    fit_twice_and_compare_with_reload(small_net(batch_norm=True), make, tmp_path, x, y)


def test_sam_save_load_resumes_identically(tmp_path):
    x, y = regression_data()
    model = SAM(small_net(batch_norm=True), rho=0.05)
    fit_twice_and_compare_with_reload(model, lambda: Lookahead(keras.optimizers.Adam(0.01)), tmp_path, x, y)


def test_sam_reports_the_loss_at_the_weights_not_zero_nor_the_perturbed_loss():
    x, y = regression_data()
    model = SAM(small_net(), rho=0.5)
    model.compile(keras.optimizers.SGD(0.0), "mse", metrics=["mae"])  # weights never move
    history = model.fit(x, y, epochs=1, batch_size=16, verbose=0).history
    loss, mae = model.evaluate(x, y, batch_size=16, verbose=0)
    assert history["loss"][0] == pytest.approx(loss, rel=1e-5)
    assert history["mae"][0] == pytest.approx(mae, rel=1e-5)
    assert loss > 0


def embedding_data():
    rng = np.random.default_rng(2)
    tokens = rng.integers(0, 50, size=(64, 5))
    return tokens, (tokens % 2).mean(axis=1, keepdims=True).astype("float32")


def embedding_net():
    return keras.Sequential(
        [keras.Input((5,), dtype="int32"), keras.layers.Embedding(50, 4, name="embed"),
         keras.layers.GlobalAveragePooling1D(), keras.layers.Dense(1, name="out")],
        name="bag",
    )


@pytest.mark.parametrize("name", tiered(NAMES + ["sam"], {"radam", "sam"}))
def test_sparse_gradients_from_an_embedding(name):
    x, y = embedding_data()
    model = embedding_net()
    if name == "sam":
        model = SAM(model)
    model.compile(keras.optimizers.Adam(0.02) if name == "sam" else OPTIMIZERS[name](), "mse")
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=5, batch_size=16, verbose=0)
    after = model.evaluate(x, y, verbose=0)
    assert np.isfinite(after) and after < before


@pytest.mark.parametrize("name", tiered(NAMES + ["sam"], {"yogi", "sam"}))
def test_mixed_precision_with_loss_scaling(name):
    x, y = regression_data()
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = small_net(batch_norm=True)
        if name == "sam":
            model = SAM(model)
        model.compile(keras.optimizers.Adam(0.01) if name == "sam" else OPTIMIZERS[name](), "mse")
        assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
        history = model.fit(x, y, epochs=3, batch_size=16, verbose=0).history
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert np.all(np.isfinite(history["loss"])) and history["loss"][-1] < history["loss"][0]


def weights_after_fit(make_model, make_optimizer, strategy=None):
    x, y = regression_data()
    keras.utils.set_random_seed(0)
    scope = strategy.scope() if strategy is not None else tf.init_scope()
    with scope:
        model = make_model()
        model.compile(make_optimizer(), "mse")
    model.fit(x, y, epochs=2, batch_size=16, shuffle=False, verbose=0)
    return [np.asarray(w) for w in model.weights]


# AdaptiveClipping is left out: under tf.distribute it clips each replica's gradient before the
# sum (as Keras' clipnorm does), so it is not expected to equal one device.
DISTRIBUTED = {
    "perturbed_sgd": lambda: PerturbedSGD(0.05, gradient_threshold=100.0, perturbation_interval=3, seed=1),
    "lookahead": OPTIMIZERS["lookahead"],
    "swa": OPTIMIZERS["swa"],
    "radam": OPTIMIZERS["radam"],
}


@pytest.mark.parametrize("name", tiered(sorted(DISTRIBUTED), {"perturbed_sgd"}))
def test_mirrored_strategy_matches_one_device(name, mirrored_strategy):
    single = weights_after_fit(small_net, DISTRIBUTED[name])
    mirrored = weights_after_fit(small_net, DISTRIBUTED[name], mirrored_strategy)
    for a, b in zip(single, mirrored):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-6)


def test_sam_under_mirrored_strategy_matches_one_device(mirrored_strategy):
    def make():
        return SAM(small_net(), rho=0.1)

    single = weights_after_fit(make, lambda: keras.optimizers.SGD(0.05))
    mirrored = weights_after_fit(make, lambda: keras.optimizers.SGD(0.05), mirrored_strategy)
    for a, b in zip(single, mirrored):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["adabelief", "lars", "yogi", "adaptive_clipping"])
def test_mirrored_strategy_fits(name, mirrored_strategy):
    single = weights_after_fit(small_net, OPTIMIZERS[name])
    mirrored = weights_after_fit(small_net, OPTIMIZERS[name], mirrored_strategy)
    if name != "adaptive_clipping":
        for a, b in zip(single, mirrored):
            np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-6)
    assert all(np.all(np.isfinite(w)) for w in mirrored)


INVALID = [
    (lambda: RAdam(-0.1), "learning_rate"),
    (lambda: RAdam(beta_1=1.0), "beta_1"),
    (lambda: RAdam(rectification_threshold=3.0), "rectification_threshold"),
    (lambda: Yogi(beta_2=-0.1), "beta_2"),
    (lambda: Yogi(epsilon=0.0), "epsilon"),
    (lambda: AdaBelief(learning_rate=-1.0), "learning_rate"),
    (lambda: LARS(momentum=1.0), "momentum"),
    (lambda: LARS(momentum=-0.5), "momentum"),
    (lambda: LARS(trust_coefficient=0.0), "trust_coefficient"),
    (lambda: PerturbedSGD(perturbation_radius=0.0), "perturbation_radius"),
    (lambda: PerturbedSGD(perturbation_interval=0), "perturbation_interval"),
    (lambda: PerturbedSGD(gradient_threshold=-1.0), "gradient_threshold"),
    (lambda: Lookahead("sgd", sync_period=0), "sync_period"),
    (lambda: Lookahead("sgd", slow_step_size=1.5), "slow_step_size"),
    (lambda: SWA("sgd", average_period=0), "average_period"),
    (lambda: SWA("sgd", start_averaging=-1), "start_averaging"),
    (lambda: AdaptiveClipping("sgd", clip_factor=0.0), "clip_factor"),
    (lambda: AdaptiveClipping("sgd", clipnorm=1.0), "clipnorm"),
    (lambda: SAM(small_net(), rho=-0.05), "rho"),
    ]


def test_invalid_hyperparameters_raise():
    for make, argument in INVALID:
        with pytest.raises(ValueError, match=f"Received: {argument}="):
            make()


def test_wrong_types_raise():
    with pytest.raises(TypeError, match="Received: optimizer="):
        Lookahead(optimizer=3.0)
    with pytest.raises(TypeError, match="Received: model="):
        SAM("not a model")
    with pytest.raises(TypeError, match="Received: gradient_centralization="):
        RAdam(gradient_centralization="yes")


def test_public_names_are_exported():
    for name in zoo.optimizers.__all__:
        assert hasattr(zoo.optimizers, name)
