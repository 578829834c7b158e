"""`TrainingDiagnostics()` with its defaults on every training setup a Keras user has.

Each setup is a tiny, healthy model on a learnable task. It must train without a warning from a
monitor, log a finite gradient norm for every layer with weights at every epoch, and give no
finding, at three seeds (the last two in the slow tier).
"""

import math
import warnings

import numpy as np
import pytest

import keras
from callbacks import TrainingDiagnostics
from callbacks._guard import MonitorFailedWarning, NotJudgedWarning
from tests.callbacks.keras_io_gan import KerasIoGAN

L = keras.layers
ROWS = 128
FEATURES = 6
CLASSES = 3
EPOCHS = 3
BATCH = 16
SEEDS = [0, pytest.param(1, marks=pytest.mark.slow), pytest.param(2, marks=pytest.mark.slow)]


def _data(seed):
    """Inputs and labels that a small network learns in a few epochs: the largest of 3 features."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(ROWS, FEATURES)).astype("float32")
    return x, np.argmax(x[:, :CLASSES], axis=1)


def _classifier(inputs, features):
    hidden = L.Dense(16, activation="relu", name="hidden")(features)
    return keras.Model(inputs, L.Dense(CLASSES, name="out")(hidden))


def _compile(model, **kwargs):
    model.compile(keras.optimizers.Adam(0.01),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True), **kwargs)
    return model


def _plain_model(**compile_kwargs):
    inputs = keras.Input((FEATURES,))
    return _compile(_classifier(inputs, inputs), **compile_kwargs)


def _train(model, x, y, diagnostics=None, monitors_may_fail=False, **fit_kwargs):
    """Fits with `TrainingDiagnostics()`, failing on a monitor's failure unless
    `monitors_may_fail`; returns the callback. What a monitor cannot judge here (overfitting
    without validation data, ...) it says in a `NotJudgedWarning`: expected, and
    `_assert_healthy` checks each note it leaves."""
    diagnostics = diagnostics or TrainingDiagnostics(verbose=0)
    fit_kwargs.setdefault("batch_size", BATCH)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore" if monitors_may_fail else "error", MonitorFailedWarning)
        warnings.simplefilter("ignore", NotJudgedWarning)
        model.fit(x, y, epochs=EPOCHS, verbose=0, callbacks=[diagnostics], **fit_kwargs)
    return diagnostics


def _assert_measured(diagnostics, layers, epochs=EPOCHS):
    for layer in layers:
        series = diagnostics.history[f"grad_norm/{layer}"]
        assert len(series) == epochs and all(math.isfinite(v) and v > 0 for v in series), (layer, series)


def _assert_healthy(diagnostics, layers, epochs=EPOCHS, unjudged=()):
    """No finding, and nothing left unjudged but overfitting in a run without validation data
    and the `(monitor, hook)` notes in `unjudged`."""
    _assert_measured(diagnostics, layers, epochs)
    assert diagnostics.findings == []
    expected = list(unjudged)
    if "val_loss" not in diagnostics.history:
        expected.append(("GeneralizationMonitor", "not_judged"))
    assert sorted((note.monitor, note.hook) for note in diagnostics.skipped) == sorted(expected)


# -- model structures ----------------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_multi_input_functional_model(seed):
    x, y = _data(seed)
    first, second = keras.Input((4,), name="first"), keras.Input((2,), name="second")
    model = _compile(_classifier([first, second], L.Concatenate()([first, second])))
    diagnostics = _train(model, [x[:, :4], x[:, 4:]], y)
    _assert_healthy(diagnostics, ["hidden", "out"])


@pytest.mark.parametrize("seed", SEEDS)
def test_dict_inputs(seed):
    x, y = _data(seed)
    inputs = {"first": keras.Input((4,), name="first"), "second": keras.Input((2,), name="second")}
    model = _compile(_classifier(inputs, L.Concatenate()([inputs["first"], inputs["second"]])))
    diagnostics = _train(model, {"first": x[:, :4], "second": x[:, 4:]}, y)
    _assert_healthy(diagnostics, ["hidden", "out"])


@pytest.mark.parametrize("seed", SEEDS)
def test_multi_output_functional_model(seed):
    x, y = _data(seed)
    inputs = keras.Input((FEATURES,))
    hidden = L.Dense(16, activation="relu", name="hidden")(inputs)
    model = keras.Model(inputs, {"label": L.Dense(CLASSES, name="label")(hidden),
                                 "total": L.Dense(1, name="total")(hidden)})
    model.compile(keras.optimizers.Adam(0.01),
                  loss={"label": keras.losses.SparseCategoricalCrossentropy(from_logits=True), "total": "mse"})
    diagnostics = _train(model, x, {"label": y, "total": x.sum(axis=1, keepdims=True)})
    # Class counts are kept for a model with one output: with two, imbalance is not judged, and it says so.
    _assert_healthy(diagnostics, ["hidden", "label", "total"], unjudged=[("ImbalanceMonitor", "not_judged")])


@pytest.mark.parametrize("seed", SEEDS)
def test_embedding(seed):
    rng = np.random.default_rng(seed)
    tokens = rng.integers(0, 40, size=(ROWS, 8))
    labels = (tokens < 20).sum(axis=1) > 4  # more tokens from the first half of the vocabulary
    inputs = keras.Input((8,), dtype="int32")
    pooled = L.GlobalAveragePooling1D()(L.Embedding(40, 8, name="embedding")(inputs))
    model = _compile(_classifier(inputs, pooled))
    diagnostics = _train(model, tokens, labels.astype("int32"))
    _assert_healthy(diagnostics, ["embedding", "hidden", "out"])


@pytest.mark.parametrize("seed", SEEDS)
def test_stateful_rnn(seed):
    rng = np.random.default_rng(seed)
    sequences = rng.normal(size=(ROWS, 5, 2)).astype("float32")
    labels = (sequences[:, :, 0].sum(axis=1) > 0).astype("int32")
    inputs = keras.Input(batch_shape=(BATCH, 5, 2))
    model = _compile(_classifier(inputs, L.SimpleRNN(8, stateful=True, name="rnn")(inputs)))
    diagnostics = _train(model, sequences, labels, shuffle=False)
    # The probe's 256 rows do not fit the fixed batch shape: the units are not judged, and it says so.
    # A probe's pass through the layer would change the state it carries: no gradient through time.
    _assert_healthy(diagnostics, [model.get_layer("rnn").cell.name, "hidden", "out"],
                    unjudged=[("ActivationMonitor", "not_judged"), ("GradientMonitor", "not_judged")])


# -- fit and compile options ---------------------------------------------------------------------


@pytest.mark.parametrize("seed", SEEDS)
def test_class_weight(seed):
    x, y = _data(seed)
    diagnostics = _train(_plain_model(), x, y, class_weight={0: 1.0, 1: 2.0, 2: 0.5})
    _assert_healthy(diagnostics, ["hidden", "out"])


@pytest.mark.parametrize("seed", SEEDS)
def test_sample_weight(seed):
    x, y = _data(seed)
    weights = np.random.default_rng(seed).uniform(0.5, 1.5, size=ROWS).astype("float32")
    diagnostics = _train(_plain_model(), x, y, sample_weight=weights)
    _assert_healthy(diagnostics, ["hidden", "out"])


@pytest.mark.parametrize("seed", SEEDS)
def test_steps_per_execution(seed):
    x, y = _data(seed)
    diagnostics = _train(_plain_model(steps_per_execution=4), x, y)
    _assert_healthy(diagnostics, ["hidden", "out"])


@pytest.mark.parametrize("seed", SEEDS)
def test_jit_compile(seed):
    x, y = _data(seed)
    diagnostics = _train(_plain_model(jit_compile=True), x, y)
    _assert_healthy(diagnostics, ["hidden", "out"])


@pytest.fixture
def mixed_precision():
    previous = keras.mixed_precision.global_policy()
    keras.mixed_precision.set_global_policy("mixed_float16")
    yield
    keras.mixed_precision.set_global_policy(previous)


@pytest.mark.parametrize("seed", SEEDS)
def test_mixed_precision(seed, mixed_precision):
    x, y = _data(seed)
    model = _plain_model()
    assert isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer)
    diagnostics = _train(model, x, y)
    _assert_healthy(diagnostics, ["hidden", "out"])


@pytest.mark.parametrize("seed", SEEDS)
def test_fit_after_load_model(seed, tmp_path):
    x, y = _data(seed)
    model = _plain_model()
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "model.keras")
    diagnostics = _train(keras.models.load_model(tmp_path / "model.keras"), x, y)
    _assert_healthy(diagnostics, ["hidden", "out"])


@pytest.mark.parametrize("seed", SEEDS)
def test_repeated_fit_starts_a_new_run(seed):
    x, y = _data(seed)
    model, diagnostics = _plain_model(), TrainingDiagnostics(verbose=0)
    first = _train(model, x, y, diagnostics)
    first_history = {key: list(values) for key, values in first.history.items()}
    second = _train(model, x, y, diagnostics)
    _assert_healthy(second, ["hidden", "out"])
    # The second run is judged on its own epochs, and training went on where it stopped.
    assert second.history["loss"][0] < first_history["loss"][0]


# -- a keras.io-pattern GAN: its own train_step, two optimizers, no call() -----------------------


def _gan(latent_dim=4):
    discriminator = keras.Sequential(
        [keras.Input((FEATURES,)), L.Dense(16, activation="relu", name="d_hidden"), L.Dense(1, name="d_out")],
        name="discriminator")
    generator = keras.Sequential(
        [keras.Input((latent_dim,)), L.Dense(16, activation="relu", name="g_hidden"), L.Dense(FEATURES, name="g_out")],
        name="generator")
    gan = KerasIoGAN(discriminator, generator, latent_dim)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3),
                keras.losses.BinaryCrossentropy(from_logits=True))
    return gan


@pytest.mark.parametrize("seed", SEEDS)
def test_keras_io_gan_trains_with_gradient_telemetry_for_both_networks(seed):
    x, _ = _data(seed)
    diagnostics = _train(_gan(), x, None, monitors_may_fail=True)
    for key in ("d_loss", "g_loss"):
        assert all(math.isfinite(v) and v > 0 for v in diagnostics.history[key])
    _assert_measured(diagnostics, ["d_hidden", "d_out", "g_hidden", "g_out"])


def test_keras_io_gan_is_judged_by_every_monitor():
    x, _ = _data(0)
    # A GAN's step has no targets and no compiled loss: the data checks and class counts say so.
    _assert_healthy(_train(_gan(), x, None), ["d_hidden", "d_out", "g_hidden", "g_out"],
                    unjudged=[("SetupMonitor", "not_judged"), ("ImbalanceMonitor", "not_judged")])
