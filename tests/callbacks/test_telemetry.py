"""The in-graph gradient telemetry measures the real training step, for every kind of model."""

import numpy as np
import pytest
import tensorflow as tf

import keras
from callbacks import GradientMonitor, _telemetry
from callbacks._telemetry import (SNAPSHOT_ENTRIES, GradientTelemetry, automatic_every, shared_telemetry,
                                  snapshot_indices, trainable_layers)
from zoo._keras_internals import is_patched

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


def _sgd_reference(model, x, y, batch_size, lr, measured=None, accumulation=1):
    """Per-layer signals of plain SGD steps over `x` in order, from a `tf.GradientTape` and NumPy.

    Runs on `model` itself and restores its weights after. Returns `{signal: {layer: value}}`
    with the means over the steps of `grad_norm`, `grad_zero_frac` and `update_ratio`, and the
    `weight_norm` before the last step: what the telemetry reads after the same steps.
    `measured` lists the steps (0-based) taken into account; all of them by default. With
    `accumulation=k`, a step is one update from the mean gradient of `k` batches taken at the
    same weights (`gradient_accumulation_steps=k`).
    """
    initial = model.get_weights()
    names, owner = trainable_layers(model)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    steps = []
    for start in range(0, len(x), batch_size * accumulation):
        micro_grads = []
        for micro in range(start, min(start + batch_size * accumulation, len(x)), batch_size):
            with tf.GradientTape() as tape:
                loss = loss_fn(y[micro : micro + batch_size], model(x[micro : micro + batch_size], training=True))
            # An embedding's IndexedSlices made dense.
            micro_grads.append([tf.convert_to_tensor(g).numpy() for g in tape.gradient(loss, model.trainable_weights)])
        grads = [np.sum(parts, axis=0, dtype=np.float32) / np.float32(accumulation) for parts in zip(*micro_grads)]
        sums = {key: np.zeros(len(names)) for key in ("grad", "zeros", "size", "change", "weight")}
        for variable, grad in zip(model.trainable_weights, grads):
            layer = owner[id(variable)]
            before = variable.numpy()
            after = before - np.float32(lr) * grad  # what keras.optimizers.SGD computes, in float32
            variable.assign(after)
            sums["grad"][layer] += np.sum(np.square(grad, dtype=np.float64))
            sums["zeros"][layer] += np.sum(grad == 0)
            sums["size"][layer] += grad.size
            sums["change"][layer] += np.sum(np.square(after - before, dtype=np.float64))
            sums["weight"][layer] += np.sum(np.square(before, dtype=np.float64))
        steps.append(sums)
    model.set_weights(initial)
    steps = steps if measured is None else [steps[i] for i in measured]
    mean = {
        "grad_norm": np.mean([np.sqrt(s["grad"]) for s in steps], axis=0),
        "grad_zero_frac": np.mean([s["zeros"] / s["size"] for s in steps], axis=0),
        "update_ratio": np.mean([np.sqrt(s["change"] / s["weight"]) for s in steps], axis=0),
        "weight_norm": np.sqrt(steps[-1]["weight"]),
    }
    return {signal: dict(zip(names, values)) for signal, values in mean.items()}


def _assert_matches(measured, expected, rtol=2e-5, signals=("grad_norm", "grad_zero_frac", "update_ratio", "weight_norm")):
    """The telemetry's reading equals the reference for every layer, to float32 rounding."""
    for signal in signals:
        assert set(measured[signal]) == set(expected[signal])
        for layer, value in expected[signal].items():
            np.testing.assert_allclose(measured[signal][layer], value, rtol=rtol, err_msg=f"{signal}/{layer}")


class _Reader(keras.callbacks.Callback):
    """Attaches telemetry (every step by default) and keeps what it reads at each epoch end."""

    def __init__(self, every=1, warmup=32):
        super().__init__()
        self.every, self.warmup = every, warmup
        self.reads = []

    def on_train_begin(self, logs=None):
        self.telemetry = GradientTelemetry(self.model, every=self.every, warmup=self.warmup)
        self.telemetry.attach()

    def on_epoch_begin(self, epoch, logs=None):
        self.telemetry.begin_period()

    def on_epoch_end(self, epoch, logs=None):
        self.reads.append(self.telemetry.read())

    def on_train_end(self, logs=None):
        self.telemetry.detach()


def _fit_and_compare(model, x, y, batch_size=16, lr=0.1, every=1, measured=None, rtol=2e-5, accumulation=1, **fit):
    """Trains one epoch with SGD(lr) under the telemetry and checks its reading against the
    GradientTape/NumPy reference of the same steps (updates, with `accumulation` batches each)."""
    expected = _sgd_reference(model, x, y, batch_size, lr, measured, accumulation)
    reader = _Reader(every=every, warmup=0)
    model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0, shuffle=False, callbacks=[reader], **fit)
    read = reader.reads[0]
    _assert_matches(read, expected, rtol=rtol)
    steps = len(measured) if measured is not None else -(-len(x) // (batch_size * accumulation))
    assert set(read["steps"].values()) == {steps}
    assert set(read["nonfinite"].values()) == {0.0}
    return read


def _built_mlp(optimizer=None, **compile_kwargs):
    model = _compile(_mlp(), optimizer or keras.optimizers.SGD(0.1), **compile_kwargs)
    model(np.zeros((1, 8), "float32"))
    return model


def test_signals_equal_a_gradient_tape_reference_at_every_step():
    x, y = _data()
    _fit_and_compare(_built_mlp(), x, y)


@pytest.mark.parametrize("every, measured, jit_compile", [
    (1, None, False), (2, [0, 2], False), pytest.param(2, [0, 2], True, marks=pytest.mark.slow)])
def test_gradient_accumulation_measures_the_applied_update_and_its_gradient(every, measured, jit_compile):
    """With `gradient_accumulation_steps=4` an update is applied at every 4th `apply` only
    (`optimizer.iterations` counts updates): the telemetry measures that call, and the gradient
    it applies, the mean of the 4 batches' gradients. Measuring the first call of a cycle read an
    update ratio of exactly 0."""
    x, y = _data(n=16 * 4 * 4)
    model = _built_mlp(keras.optimizers.SGD(0.1, gradient_accumulation_steps=4), jit_compile=jit_compile)
    read = _fit_and_compare(model, x, y, every=every, measured=measured, accumulation=4)
    assert all(value > 0 for value in read["update_ratio"].values())


@pytest.mark.parametrize("every", [1, 2])
def test_a_loss_scale_factor_is_taken_off_the_measured_gradients(every):
    """`loss_scale_factor=1024` scales the gradients `apply` receives (and `apply` unscales them):
    the gradient norms are those of the unscaled loss, not 1024 times larger."""
    x, y = _data()
    model = _built_mlp(keras.optimizers.SGD(0.1, loss_scale_factor=1024.0))
    _fit_and_compare(model, x, y, every=every, measured=[0, 2] if every == 2 else None)


@pytest.mark.slow
def test_a_loss_scale_factor_under_a_mirrored_strategy(mirrored_strategy):
    x, y = _data(n=128)
    with mirrored_strategy.scope():
        model = _built_mlp(keras.optimizers.SGD(0.1, loss_scale_factor=1024.0))
    _fit_and_compare(model, x, y, batch_size=32, every=2, measured=[0, 2])


# The gradients' cond is a lowered `tf.cond` above `UNLOWERED_GRADIENT_BYTES` (0 here), an `If` op below.
@pytest.mark.parametrize("unlowered_bytes", [0, 2**20])
def test_sampled_steps_equal_the_reference_of_those_steps(monkeypatch, unlowered_bytes):
    monkeypatch.setattr(_telemetry, "UNLOWERED_GRADIENT_BYTES", unlowered_bytes)
    x, y = _data(n=160)
    # every=4, no warmup: iterations 0 (the first of the period), 4 and 8 of the 10 steps.
    _fit_and_compare(_built_mlp(), x, y, every=4, measured=[0, 4, 8])


def _embedding_model():
    model = keras.Sequential([
        keras.Input((6,), dtype="int32"),
        L.Embedding(40, 4, name="embed"),
        L.GlobalAveragePooling1D(),
        L.Dense(3, name="out"),
    ])
    model(np.zeros((1, 6), "int32"))
    return _compile(model, keras.optimizers.SGD(0.1))


def _token_data(n=64, seed=0):
    # Tokens 0-9 of a vocabulary of 40: every batch repeats indices, and rows 10-39 stay untouched.
    rng = np.random.default_rng(seed)
    return rng.integers(0, 10, size=(n, 6)).astype("int32"), rng.integers(0, 3, size=n)


@pytest.mark.parametrize("every", [1, 2])
def test_sparse_embedding_gradients_equal_the_dense_reference(every):
    x, y = _token_data()
    with tf.GradientTape() as tape:
        model = _embedding_model()
        loss = model.compute_loss(x=x[:16], y=y[:16], y_pred=model(x[:16], training=True))
    assert isinstance(tape.gradient(loss, model.trainable_weights)[0], tf.IndexedSlices)
    read = _fit_and_compare(model, x, y, every=every, measured=[0, 2] if every == 2 else None)
    assert read["grad_zero_frac"]["embed"] == 0.75  # the 30 untouched rows of 40 count as zero


def test_optimizer_and_train_function_are_restored_after_fit(tmp_path):
    x, y = _data()
    model = _compile(_mlp())
    monitor = GradientMonitor()
    model.fit(x, y, epochs=1, verbose=0, callbacks=[monitor])
    assert not is_patched(model.optimizer, "apply")
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
    model = _built_mlp(steps_per_execution=3, jit_compile=jit_compile)
    _fit_and_compare(model, x, y, every=2, measured=[0, 2, 4])


@pytest.mark.slow
def test_sparse_gradients_under_jit_compile():
    x, y = _token_data()
    model = _embedding_model()
    model.compile(keras.optimizers.SGD(0.1), model.loss, jit_compile=True)
    _fit_and_compare(model, x, y, every=2, measured=[0, 2])


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
    reader = _Reader(every=4, warmup=0)
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
    assert not is_patched(model.d_optimizer, "apply") and not is_patched(model.g_optimizer, "apply")


@pytest.mark.slow
def test_mixed_precision_measures_unscaled_gradients():
    x, y = _data()
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = _built_mlp()
        assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
        # The reference runs in float16 too; float16 rounding, not the loss scale (2**15), remains.
        _fit_and_compare(model, x, y, every=2, measured=[0, 2], rtol=1e-2)
    finally:
        keras.mixed_precision.set_global_policy("float32")


@pytest.mark.slow
@pytest.mark.parametrize("every", [1, 2])
def test_mirrored_strategy_measures_the_global_gradient(mirrored_strategy, every):
    x, y = _data(n=128)
    with mirrored_strategy.scope():
        model = _built_mlp()
    # Two replicas of 16 rows: the reference takes the global batch of 32 at once.
    _fit_and_compare(model, x, y, batch_size=32, every=every, measured=[0, 2] if every == 2 else None)


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


def test_each_optimizer_of_a_gan_keeps_its_own_sampling_period():
    """Both players' optimizers step once per batch; with one shared "next measured step", the
    generator would find it already moved on by the discriminator and never be measured."""
    import zoo

    images = np.random.default_rng(0).uniform(-1, 1, size=(8 * 8, 8, 8, 1)).astype("float32")
    model = zoo.build_dcgan(input_shape=(8, 8, 1), latent_dim=8, base_filters=4)
    model.compile()
    reader = _Reader(every=4, warmup=0)
    model.fit(images, epochs=1, batch_size=8, verbose=0, callbacks=[reader])
    # 8 steps, measured at iterations 0 and 4 by each player.
    assert set(reader.reads[0]["steps"].values()) == {2.0}


def test_automatic_period_grows_with_the_parameter_count():
    model = keras.Sequential([keras.Input((999,)), L.Dense(1000, name="wide"), L.Dense(3, name="out")])
    _compile(model, keras.optimizers.SGD(0.01))
    x = np.random.default_rng(0).normal(size=(70 * 2, 999)).astype("float32")
    y = np.zeros(len(x), "int32")
    reader = _Reader(every=None, warmup=0)
    model.fit(x, y, batch_size=2, epochs=1, verbose=0, callbacks=[reader])
    # 1,003,003 parameters / 8,000 per period is above the largest period, 64: iterations 0 and 64 of 70.
    assert reader.telemetry.every is None
    assert reader.reads[0]["steps"] == {"wide": 2.0, "out": 2.0}


@pytest.mark.parametrize("steps, expected", [(None, 16), (40, 16), (100, 25), (337, 64), (10_000, 64)])
def test_automatic_period_of_a_small_model_follows_the_epoch_length(steps, expected):
    """A 650-weight model: 16 steps by its size; a long epoch keeps 4 measured steps, up to 64."""
    model = keras.Sequential([keras.Input((64,)), L.Dense(10)])
    assert automatic_every(model, steps) == expected


def test_gradient_monitor_asks_for_the_period_of_its_epoch_length():
    model = keras.Sequential([keras.Input((4,)), L.Dense(3, name="out")])
    _compile(model, keras.optimizers.SGD(0.01))
    x = np.random.default_rng(0).normal(size=(200, 4)).astype("float32")
    periods = []
    during_fit = keras.callbacks.LambdaCallback(on_epoch_end=lambda *_: periods.append(shared_telemetry(model).every))
    model.fit(x, np.zeros(200, "int32"), batch_size=1, epochs=1, verbose=0, callbacks=[GradientMonitor(), during_fit])
    assert periods == [200 // 4]  # 4 measured steps of 200; 16 by its size


@pytest.mark.parametrize("unlowered_bytes, lowered", [(2**20, [False, False]), (0, [True, False])])
def test_a_skipped_step_runs_empty_branches_only(monkeypatch, unlowered_bytes, lowered):
    """Two conds, with empty else branches. The one after the update (whose inputs are variables)
    is an `If` op; the one before it holds the gradients, and is lowered when they are large."""
    monkeypatch.setattr(_telemetry, "UNLOWERED_GRADIENT_BYTES", unlowered_bytes)
    model = _built_mlp()
    model.optimizer.build(model.trainable_variables)
    telemetry = GradientTelemetry(model, every=8, warmup=0)
    telemetry.attach()
    grads = [tf.ones_like(variable) for variable in model.trainable_variables]
    graph = tf.function(lambda: model.optimizer.apply(grads, model.trainable_variables)).get_concrete_function().graph
    telemetry.detach()
    library = {function.signature.name: function for function in graph.as_graph_def().library.function}
    conds = [op for op in graph.get_operations() if op.type in ("If", "StatelessIf")]
    # One cond before the update (gradients, snapshot), one after (update ratio); nothing else.
    assert len(conds) == 2
    for cond in conds:
        assert len(library[cond.get_attr("then_branch").name].node_def) > 0
        assert len(library[cond.get_attr("else_branch").name].node_def) == 0
    assert [cond.get_attr("_lower_using_switch_merge") for cond in conds] == lowered


def test_a_large_variable_is_measured_on_a_fixed_sample_of_its_entries():
    """A kernel of 99,900 weights is snapshotted on `SNAPSHOT_ENTRIES` of them: the update ratio
    is the NumPy estimate over those entries (scaled to the whole kernel) plus the bias's exact
    change, close to the exact ratio; the weight norm stays exact."""
    keras.utils.set_random_seed(0)
    model = _compile(keras.Sequential([keras.Input((999,)), L.Dense(100, name="wide"), L.Dense(3, name="out")]),
                     keras.optimizers.SGD(0.1))
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(16, 999)).astype("float32"), rng.integers(0, 3, size=16)
    exact = _sgd_reference(model, x, y, batch_size=16, lr=0.1)
    kernel, bias = [v.numpy() for v in model.get_layer("wide").trainable_weights]
    with tf.GradientTape() as tape:
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)(y, model(x, training=True))
    grad_kernel, grad_bias = tape.gradient(loss, model.get_layer("wide").trainable_weights)
    sample = snapshot_indices(kernel.size)
    change_kernel = np.float32(0.1) * grad_kernel.numpy().reshape(-1)[sample]
    estimate = (kernel.size / len(sample) * np.sum(np.square(change_kernel, dtype=np.float64))
                + np.sum(np.square(np.float32(0.1) * grad_bias.numpy(), dtype=np.float64)))
    weight = np.sum(np.square(kernel, dtype=np.float64)) + np.sum(np.square(bias, dtype=np.float64))
    reader = _Reader(every=1, warmup=0)
    model.fit(x, y, batch_size=16, epochs=1, verbose=0, shuffle=False, callbacks=[reader])
    read = reader.reads[0]
    assert len(sample) == SNAPSHOT_ENTRIES < kernel.size
    np.testing.assert_allclose(read["update_ratio"]["wide"], np.sqrt(estimate / weight), rtol=1e-4)
    np.testing.assert_allclose(read["update_ratio"]["wide"], exact["update_ratio"]["wide"], rtol=0.05)
    _assert_matches(read, exact, signals=("grad_norm", "weight_norm"))
    _assert_matches(read, exact, signals=("update_ratio",), rtol=0.05)


def test_a_dataset_of_unknown_length_trains_as_without_telemetry():
    """At the end of a dataset of unknown length Keras runs one more step, which stops at the
    missing batch after incrementing `optimizer.iterations` (no gradient needed for that).
    Telemetry that read the counter inside its measuring branch held the increment back: Adam's
    bias correction then differed from the plain run from the second epoch on."""
    x, y = _data(n=96)

    def fit(callbacks):
        keras.utils.set_random_seed(0)
        model = _compile(_mlp(), keras.optimizers.Adam(0.01))
        data = tf.data.Dataset.from_generator(
            lambda: zip(x, y), output_signature=(tf.TensorSpec((8,), tf.float32), tf.TensorSpec((), tf.int64)))
        history = model.fit(data.batch(16), epochs=3, verbose=0, callbacks=callbacks)
        return history.history["loss"], int(model.optimizer.iterations.numpy())

    plain = fit([])
    assert plain[1] == 3 * (6 + 1)  # Keras' own count: 6 batches and the step at the end, per epoch
    assert fit([GradientMonitor(every=4)]) == plain
