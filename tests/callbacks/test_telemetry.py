"""The in-graph gradient telemetry measures the real training step, for every kind of model."""

import numpy as np
import pytest
import tensorflow as tf

import keras
from callbacks import GradientMonitor
from callbacks._telemetry import GradientTelemetry, trainable_layers

L = keras.layers


def _data(n=64, features=8, classes=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, features)).astype("float32"), rng.integers(0, classes, size=n)


def _mlp():
    return keras.Sequential(
        [keras.Input((8,)), L.Dense(16, activation="relu", name="hidden"), L.Dense(3, name="out")]
    )


def _compile(model, optimizer="sgd", **kwargs):
    model.compile(optimizer, keras.losses.SparseCategoricalCrossentropy(from_logits=True), **kwargs)
    return model


def _reference_norms(model, x, y):
    with tf.GradientTape() as tape:
        loss = model.compute_loss(x=x, y=y, y_pred=model(x, training=True))
    grads = tape.gradient(loss, model.trainable_weights)
    names, owner = trainable_layers(model)
    sums = np.zeros(len(names))
    for variable, grad in zip(model.trainable_weights, grads):
        sums[owner[id(variable)]] += float(np.sum(np.square(grad.numpy())))
    return dict(zip(names, np.sqrt(sums)))


class _Reader(keras.callbacks.Callback):
    """Attaches telemetry measuring every step and keeps what it reads at each epoch end."""

    def __init__(self):
        super().__init__()
        self.reads = []

    def on_train_begin(self, logs=None):
        self.telemetry = GradientTelemetry(self.model, every=1)
        self.telemetry.attach()

    def on_epoch_end(self, epoch, logs=None):
        self.reads.append(self.telemetry.read())

    def on_train_end(self, logs=None):
        self.telemetry.detach()


def test_gradient_norms_match_gradient_tape_on_the_same_batch():
    x, y = _data()
    model = _compile(_mlp(), keras.optimizers.SGD(0.1))
    model.fit(x, y, batch_size=64, epochs=1, verbose=0)  # builds everything
    expected = _reference_norms(model, x, y)
    weights = {layer: None for layer in expected}
    reader = _Reader()
    model.fit(x, y, batch_size=64, epochs=1, verbose=0, shuffle=False, callbacks=[reader])
    measured = reader.reads[0]
    assert set(measured["grad_norm"]) == {"hidden", "out"}
    for layer in weights:
        np.testing.assert_allclose(measured["grad_norm"][layer], expected[layer], rtol=1e-4)
        assert measured["steps"][layer] == 1
    # SGD moves each layer by lr * gradient: the update ratio is lr * |g| / |w_before|.
    assert measured["update_ratio"]["out"] > 0
    assert measured["nonfinite"]["out"] == 0


def test_optimizer_and_train_function_are_restored_after_fit(tmp_path):
    x, y = _data()
    model = _compile(_mlp())
    monitor = GradientMonitor()
    model.fit(x, y, epochs=1, verbose=0, callbacks=[monitor])
    assert "apply" not in model.optimizer.__dict__
    assert "train_step" not in model.__dict__
    assert model.train_function is None
    model.fit(x, y, epochs=1, verbose=0, callbacks=[monitor])  # repeated fit works, state reset
    assert len(monitor.history["grad_norm/hidden"]) == 1
    model.save(tmp_path / "m.keras")
    restored = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


class _Subclassed(keras.Model):
    def __init__(self):
        super().__init__(name="subclassed")
        self.block = keras.Sequential([L.Dense(8, activation="tanh", name="inner")], name="block")
        self.out = L.Dense(3, name="head")

    def call(self, x):
        return self.out(self.block(x))


def _functional():
    inputs = keras.Input((8,))
    hidden = L.Dense(8, activation="relu", name="f_hidden")(inputs)
    return keras.Model(inputs, L.Dense(3, name="f_out")(hidden))


@pytest.mark.parametrize("build", [_mlp, _functional, _Subclassed], ids=["sequential", "functional", "subclassed"])
def test_every_model_kind_gets_per_layer_series_from_epoch_zero(build):
    x, y = _data()
    model = _compile(build())
    monitor = GradientMonitor(every=1)
    history = model.fit(x, y, epochs=2, verbose=0, callbacks=[monitor])
    grad_keys = [key for key in history.history if key.startswith("grad_norm/")]
    assert len(grad_keys) == 2
    for key in grad_keys:
        values = history.history[key]
        assert len(values) == 2 and np.all(np.isfinite(values)) and np.all(np.asarray(values) > 0)
    assert monitor.findings == []


def test_nested_layers_are_named_by_the_innermost_layer():
    names, _ = trainable_layers(_built(_Subclassed()))
    assert names == ["inner", "head"]


def _built(model):
    model(np.zeros((1, 8), "float32"))
    return model


def test_frozen_layers_are_excluded():
    x, y = _data()
    model = _mlp()
    model.get_layer("hidden").trainable = False
    _compile(model)
    history = model.fit(x, y, epochs=1, verbose=0, callbacks=[GradientMonitor()])
    assert "grad_norm/out" in history.history
    assert "grad_norm/hidden" not in history.history


@pytest.mark.parametrize("jit_compile", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_steps_per_execution_and_jit_compile(jit_compile):
    x, y = _data(n=96)
    model = _compile(_mlp(), steps_per_execution=3, jit_compile=jit_compile)
    reader = _Reader()
    model.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[reader])
    assert reader.reads[0]["steps"]["hidden"] == 6  # 96 / 16 steps, all measured
    assert np.isfinite(reader.reads[0]["grad_norm"]["hidden"])


def test_tf_data_and_py_dataset_inputs():
    x, y = _data()

    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return 4

        def __getitem__(self, index):
            return x[index * 16 : (index + 1) * 16], y[index * 16 : (index + 1) * 16]

    for data in (tf.data.Dataset.from_tensor_slices((x, y)).batch(16), Batches()):
        keras.utils.clear_session()
        model = _compile(_mlp())
        reader = _Reader()
        model.fit(data, epochs=1, verbose=0, callbacks=[reader])
        assert reader.reads[0]["steps"]["hidden"] == 4


def test_sampling_measures_the_first_step_of_every_epoch_and_every_nth():
    x, y = _data(n=160)
    model = _compile(_mlp())

    class Sparse(_Reader):
        def on_train_begin(self, logs=None):
            self.telemetry = GradientTelemetry(self.model, every=4, warmup=0)
            self.telemetry.attach()

        def on_epoch_begin(self, epoch, logs=None):
            self.telemetry.begin_period()

    reader = Sparse()
    model.fit(x, y, batch_size=16, epochs=2, verbose=0, callbacks=[reader])
    # 10 steps per epoch: iterations 0,4,8 in epoch 0; 12,16 plus the forced first step 10 in epoch 1.
    assert [r["steps"]["hidden"] for r in reader.reads] == [3, 3]


class _TwoOptimizerModel(keras.Model):
    """A tiny GAN-like model with its own train_step and two optimizers."""

    def __init__(self):
        super().__init__(name="two_optimizers")
        self.generator = keras.Sequential([L.Dense(8, name="g_dense")], name="generator")
        self.critic = keras.Sequential([L.Dense(1, name="d_dense")], name="critic")

    def call(self, x):
        return self.critic(self.generator(x))

    def compile(self, g_optimizer, d_optimizer):
        super().compile(optimizer=g_optimizer)
        self.g_optimizer = g_optimizer
        self.d_optimizer = d_optimizer

    def train_step(self, data):
        noise = tf.random.normal((tf.shape(data)[0], 8))
        with tf.GradientTape() as tape:
            d_loss = tf.reduce_mean(self.critic(self.generator(noise))) - tf.reduce_mean(self.critic(data))
        grads = tape.gradient(d_loss, self.critic.trainable_weights)
        self.d_optimizer.apply(grads, self.critic.trainable_weights)
        with tf.GradientTape() as tape:
            g_loss = -tf.reduce_mean(self.critic(self.generator(noise)))
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply(grads, self.generator.trainable_weights)
        return {"d_loss": d_loss, "g_loss": g_loss}


def test_custom_train_step_with_two_optimizers_measures_both():
    model = _TwoOptimizerModel()
    model.compile(keras.optimizers.Adam(1e-3), keras.optimizers.SGD(1e-2))
    model(np.zeros((1, 8), "float32"))
    reader = _Reader()
    model.fit(np.random.default_rng(0).normal(size=(64, 8)).astype("float32"), epochs=1, batch_size=16,
              verbose=0, callbacks=[reader])
    read = reader.reads[0]
    assert read["steps"] == {"g_dense": 4.0, "d_dense": 4.0}
    assert all(np.isfinite(v) and v > 0 for v in read["grad_norm"].values())
    assert "apply" not in model.d_optimizer.__dict__ and "apply" not in model.g_optimizer.__dict__


@pytest.mark.slow
def test_mixed_precision_measures_unscaled_gradients():
    x, y = _data()
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = _compile(_mlp())
        assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
        reader = _Reader()
        model.fit(x, y, batch_size=64, epochs=1, verbose=0, shuffle=False, callbacks=[reader])
    finally:
        keras.mixed_precision.set_global_policy("float32")
    norm = reader.reads[0]["grad_norm"]["hidden"]
    # Scaled gradients would be ~2**15 times larger.
    assert np.isfinite(norm) and 1e-4 < norm < 1e2


@pytest.mark.slow
def test_mirrored_strategy_measures_the_global_gradient(mirrored_strategy):
    x, y = _data()
    with mirrored_strategy.scope():
        model = _compile(_mlp(), keras.optimizers.SGD(0.1))
    model.fit(x, y, batch_size=64, epochs=1, verbose=0)
    expected = _reference_norms(model, x, y)
    reader = _Reader()
    model.fit(x, y, batch_size=64, epochs=1, verbose=0, shuffle=False, callbacks=[reader])
    for layer, value in expected.items():
        np.testing.assert_allclose(reader.reads[0]["grad_norm"][layer], value, rtol=1e-4)
    assert reader.reads[0]["steps"]["hidden"] == 1


@pytest.mark.slow
def test_zoo_dcgan_both_players_are_measured():
    import zoo

    images = np.random.default_rng(0).uniform(-1, 1, size=(64, 8, 8, 1)).astype("float32")
    model = zoo.build_dcgan(input_shape=(8, 8, 1), latent_dim=8, base_filters=4)
    model.compile()
    monitor = GradientMonitor(every=1)
    model.fit(images, epochs=1, batch_size=32, verbose=0, callbacks=[monitor])
    players = {layer.split("_")[0] for layer in monitor.layers}
    assert players == {"generator", "discriminator"}
    assert all(np.isfinite(monitor.history[f"grad_norm/{layer}"][0]) for layer in monitor.layers)
