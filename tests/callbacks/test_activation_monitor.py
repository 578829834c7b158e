"""ActivationMonitor on its default probe: XLA, two replicas, batch size 1, and a GAN without call()."""

import math
import time

import keras
import numpy as np
import pytest
import tensorflow as tf
from sklearn.datasets import load_digits

from callbacks import activation_monitor
from callbacks import TrainingDiagnostics
from callbacks._batch_probe import DEFAULT_PROBE_ROWS, BatchProbe
from callbacks._guard import NotJudgedWarning
from callbacks.activation_monitor import ActivationMonitor
from callbacks.stall_monitor import StallMonitor
from diagnostics.activations import DEAD_FRACTION
from tests.callbacks.keras_io_gan import KerasIoGAN
from zoo._keras_internals import is_patched


def _two_branch_net(seed):
    """One ReLU layer killed by its bias (every pre-activation below -10 for standardized inputs)
    beside a healthy He-initialised one."""
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((8,))
    dead = keras.layers.Dense(16, activation="relu", bias_initializer=keras.initializers.Constant(-10.0),
                              kernel_initializer=keras.initializers.RandomNormal(stddev=0.1), name="dead")
    alive = keras.layers.Dense(16, activation="relu", kernel_initializer="he_normal", name="alive")
    merged = keras.layers.Concatenate()([dead(inputs), alive(inputs)])
    return keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(merged))


def _check_dead_layer_found_on_the_first_rows(model, seed, batch_size, rows=300):
    """Fits `_two_branch_net` and checks: the dead layer is found, the healthy one is quiet, and
    the probe is the first rows trained on (two replicas keep them in another order)."""
    x = np.random.default_rng(seed).standard_normal((rows, 8)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("int32")
    monitor = ActivationMonitor()
    model.fit(x, y, batch_size=batch_size, epochs=2, verbose=0, shuffle=False, callbacks=[monitor])
    assert [(f.kind, f.layer) for f in monitor.findings] == [("dead_relu", "dead")]
    assert monitor.history["dead_frac/dead"] == [1.0, 1.0]
    assert max(monitor.history["dead_frac/alive"]) < DEAD_FRACTION
    assert DEFAULT_PROBE_ROWS >= 256
    np.testing.assert_array_equal(_by_first_column(monitor._probe), _by_first_column(x[:DEFAULT_PROBE_ROWS]))


def _by_first_column(rows):
    return rows[np.argsort(rows[:, 0])]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dead_relu_under_xla(seed):
    model = _two_branch_net(seed)
    model.compile("adam", "sparse_categorical_crossentropy", jit_compile=True)
    _check_dead_layer_found_on_the_first_rows(model, seed, batch_size=32)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dead_relu_with_batch_size_one(seed):
    model = _two_branch_net(seed)
    model.compile("adam", "sparse_categorical_crossentropy")
    _check_dead_layer_found_on_the_first_rows(model, seed, batch_size=1, rows=DEFAULT_PROBE_ROWS)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dead_relu_with_two_replicas(seed, mirrored_strategy):
    with mirrored_strategy.scope():
        model = _two_branch_net(seed)
        model.compile("adam", "sparse_categorical_crossentropy")
    _check_dead_layer_found_on_the_first_rows(model, seed, batch_size=32)


def test_gan_without_call_trains_and_its_sub_models_are_probed():
    images = (load_digits().images[:256, :, :, None] / 8.0 - 1.0).astype("float32")
    discriminator = keras.Sequential([
        keras.Input((8, 8, 1)), keras.layers.Flatten(),
        keras.layers.Dense(16, activation="relu", name="d_hidden"), keras.layers.Dense(1),
    ], name="discriminator")
    generator = keras.Sequential([
        keras.Input((4,)), keras.layers.Dense(16, activation="relu", name="g_hidden"),
        keras.layers.Dense(64, activation="tanh"), keras.layers.Reshape((8, 8, 1)),
    ], name="generator")
    gan = KerasIoGAN(discriminator, generator, latent_dim=4)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3),
                keras.losses.BinaryCrossentropy(from_logits=True))
    activation_monitor, stall_monitor = ActivationMonitor(), StallMonitor()
    history = gan.fit(images, batch_size=32, epochs=2, verbose=0, callbacks=[activation_monitor, stall_monitor])
    assert len(history.history["d_loss"]) == 2
    # The hidden layers of both networks were run (discriminator on the images, generator on
    # noise); their output layers are left out.
    assert activation_monitor.layers == {"d_hidden": "relu", "g_hidden": "relu"}
    for key in ("dead_frac/d_hidden", "dead_frac/g_hidden"):
        assert all(math.isfinite(value) for value in activation_monitor.history[key])
    assert not any(is_patched(gan, name) for name in ("train_step", "test_step", "compute_loss"))


_WRONG_WIDTH = np.zeros((8, 5), "float32")  # 5 features for a model with 3 inputs


@pytest.mark.parametrize("monitor,match,reason", [
    (lambda: ActivationMonitor(probe_data=_WRONG_WIDTH), "not judged", "forward pass failed"),
    (lambda: StallMonitor(probe_data=(_WRONG_WIDTH, _WRONG_WIDTH[:, :1])), "not told from plateaus",
     "probe batch failed"),
])
def test_a_probe_that_cannot_be_run_is_said_once_and_training_goes_on(monitor, match, reason):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    monitor = monitor()
    with pytest.warns(UserWarning, match=match) as warned:
        history = model.fit(np.zeros((16, 3), "float32"), np.ones((16, 1), "float32"), epochs=3, verbose=0,
                            callbacks=[monitor])
    assert len(history.history["loss"]) == 3
    assert sum(type(monitor).__name__ in str(w.message) for w in warned) == 1
    assert reason in monitor.extras["not_judged"] and monitor.findings == []


@pytest.mark.parametrize("rows, chunk_bytes", [(7, 1), (100, 1), (100, 2**20)])
def test_fractions_in_chunks_equal_those_of_the_whole_probe_batch(rows, chunk_bytes, monkeypatch):
    """The probe batch runs in chunks (of PROBE_CHUNK_ROWS rows with a tiny PROBE_CHUNK_BYTES, all
    at once with a large one); the fractions must be those of all rows at once, measured here with
    a plain Keras sub-model and NumPy. A unit that fires on a single row (the first one, in the
    first chunk) is alive; one that saturates on 90% of the rows is saturated."""
    monkeypatch.setattr(activation_monitor, "PROBE_CHUNK_BYTES", chunk_bytes)
    keras.utils.set_random_seed(0)
    inputs = keras.Input((4,))
    relu = keras.layers.Dense(8, activation="relu", bias_initializer=keras.initializers.Constant(-6.0),
                              name="relu")(inputs)
    sigmoid = keras.layers.Dense(8, activation="sigmoid", name="sigmoid")(relu)
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(sigmoid))
    model.compile("sgd", "sparse_categorical_crossentropy")
    rng = np.random.default_rng(1)
    x = rng.standard_normal((rows, 4)).astype("float32") * 3.0
    x[0] = 40.0  # one row that wakes units that are silent on all others
    monitor = ActivationMonitor(probe_data=x, probe_size=rows)
    model.fit(x, np.zeros(rows, "int32"), epochs=1, verbose=0, callbacks=[monitor])
    reference = keras.Model(inputs, [relu, sigmoid]).predict(x, verbose=0)
    expected_dead = np.mean(np.all(reference[0] == 0.0, axis=0))
    assert 0 < expected_dead < np.mean(np.all(reference[0][1:] == 0.0, axis=0))  # row 0 matters
    beyond = (reference[1] <= 0.01) | (reference[1] >= 0.99)
    expected_saturated = np.mean(np.mean(beyond, axis=0) >= 0.9)
    assert monitor.history["dead_frac/relu"] == [pytest.approx(expected_dead)]
    assert monitor.history["saturated_frac/sigmoid"] == [pytest.approx(expected_saturated)]


def test_chunk_rows_keep_the_probed_outputs_within_the_byte_budget():
    dense = keras.Sequential([keras.Input((64,)), keras.layers.Dense(128, activation="relu")])
    conv = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Conv2D(32, 3, padding="same", activation="relu")])
    # 128 float32 outputs a row: 512 bytes, so all 256 rows fit in 4 MiB in one chunk.
    assert activation_monitor._chunk_rows(dense.layers, 256) == 256
    # 32 * 32 * 32 * 4 = 131,072 bytes a row: 32 rows per 4 MiB.
    assert activation_monitor._chunk_rows(conv.layers, 256) == 32
    assert activation_monitor._chunk_rows(conv.layers * 4, 256) == activation_monitor.PROBE_CHUNK_ROWS  # 8 < 32

    class Subclassed(keras.layers.Layer):
        def call(self, x):
            return x
    assert activation_monitor._chunk_rows([Subclassed()], 256) == activation_monitor.PROBE_CHUNK_ROWS


def test_a_slow_first_trace_does_not_make_the_schedule_skip_later_probes(monkeypatch):
    """The probe's first call traces it, and that time says nothing of the next calls (the
    schedule reads no clock at all): a trace of 0.3 s, against epochs of a few tens of ms, must
    not skip epochs 1-2."""
    hooked = ActivationMonitor._hooked_forward

    def slow_to_trace(self, feeds):
        time.sleep(0.3)  # Python in a traced function: runs when it is traced, not when called
        return hooked(self, feeds)

    monkeypatch.setattr(ActivationMonitor, "_hooked_forward", slow_to_trace)
    model = _two_branch_net(0)
    model.compile("adam", "sparse_categorical_crossentropy")
    x = np.random.default_rng(0).standard_normal((300, 8)).astype("float32")
    monitor = ActivationMonitor()
    model.fit(x, (x[:, 0] > 0).astype("int32"), batch_size=32, epochs=3, verbose=0, callbacks=[monitor])
    assert monitor.history["dead_frac/dead"] == [1.0, 1.0, 1.0]
    assert monitor.probed_epochs == [0, 1, 2]


# -- what cannot be judged is said: once, as a NotJudgedWarning, and in `not_judged` --------------


def _said(warned, who="ActivationMonitor"):
    """The messages of the NotJudgedWarnings of `who` among `warned`."""
    return [str(w.message) for w in warned if issubclass(w.category, NotJudgedWarning) and who in str(w.message)]


def test_no_probe_rows_kept_from_training_is_said_and_listed_in_skipped(monkeypatch):
    """The batch probe kept no row (and found nothing wrong): the units are not judged, and
    `TrainingDiagnostics` lists it in `skipped`."""
    monkeypatch.setattr(BatchProbe, "inputs", lambda self, validation=False: None)
    model = _two_branch_net(0)
    model.compile("adam", "sparse_categorical_crossentropy")
    x = np.random.default_rng(0).standard_normal((64, 8)).astype("float32")
    diagnostics = TrainingDiagnostics(monitors=[ActivationMonitor], verbose=0)
    with pytest.warns(NotJudgedWarning) as warned:
        history = model.fit(x, np.zeros(64, "int32"), epochs=2, verbose=0, callbacks=[diagnostics])
    assert len(history.history["loss"]) == 2
    [message] = _said(warned)
    assert "no probe inputs were kept from training" in message
    [note] = diagnostics.skipped
    assert (note.monitor, note.hook) == ("ActivationMonitor", "not_judged")
    assert "no probe inputs were kept from training" in note.reason


class _TokenHolder(keras.Model):
    """A model without `call()` (like a GAN) that trains one network of variable-length token
    inputs in its own `train_step`: a probe can give that network neither the probe rows (their
    shape is fixed) nor noise (its input is integer)."""

    def __init__(self):
        super().__init__(name="token_holder")
        self.network = keras.Sequential([
            keras.Input((None,), dtype="int32"), keras.layers.Embedding(10, 4),
            keras.layers.GlobalAveragePooling1D(), keras.layers.Dense(8, activation="relu", name="hidden"),
            keras.layers.Dense(1),
        ])

    def train_step(self, data):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(self.network(data)))
        weights = self.network.trainable_weights
        self.optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights))
        return {"loss": loss}


def test_a_network_that_cannot_be_given_an_input_is_said():
    holder = _TokenHolder()
    holder.compile("sgd")
    tokens = np.random.default_rng(0).integers(0, 10, size=(32, 5)).astype("int32")
    monitor = ActivationMonitor(probe_data=tokens)
    with pytest.warns(NotJudgedWarning) as warned:
        history = holder.fit(tokens, epochs=2, batch_size=16, verbose=0, callbacks=[monitor])
    assert len(history.history["loss"]) == 2
    assert monitor.layers == {"hidden": "relu"}
    [message] = _said(warned)
    assert "could be given the probe inputs" in message and "could be given the probe inputs" in monitor.not_judged
    assert monitor.probed_epochs == [] and np.isnan(monitor.history["dead_frac/hidden"]).all()


class _WithUnusedLayer(keras.Model):
    """A subclassed model holding a ReLU layer that its `call` never uses."""

    def __init__(self):
        super().__init__(name="with_unused_layer")
        self.unused = keras.layers.Dense(4, activation="relu", name="unused")
        self.hidden = keras.layers.Dense(8, activation="relu", name="hidden")
        self.out = keras.layers.Dense(2, activation="softmax", name="out")

    def call(self, x):
        return self.out(self.hidden(x))


def test_a_layer_the_probe_does_not_reach_is_said_and_the_others_are_judged():
    keras.utils.set_random_seed(0)
    model = _WithUnusedLayer()
    model.compile("sgd", "sparse_categorical_crossentropy")
    x = np.random.default_rng(0).standard_normal((64, 3)).astype("float32")
    monitor = ActivationMonitor(probe_data=x)
    with pytest.warns(NotJudgedWarning) as warned:
        model.fit(x, np.zeros(64, "int32"), epochs=3, verbose=0, callbacks=[monitor])
    assert set(monitor.layers) == {"unused", "hidden"}
    [message] = _said(warned)  # once, not at every epoch
    assert "layers unused are not judged" in message and "layers unused" in monitor.not_judged
    assert monitor.probed_epochs == [0, 1, 2]
    assert np.isnan(monitor.history["dead_frac/unused"]).all()
    assert np.isfinite(monitor.history["dead_frac/hidden"]).all()


def test_non_finite_probe_inputs_beside_a_finite_training_loss_are_said():
    """One NaN in `probe_data` makes the model's output non-finite (it reaches the output through
    a skip connection, whatever a ReLU kernel makes of NaN) while training on clean rows stays
    finite: the units are not judged, and the monitor says why."""
    keras.utils.set_random_seed(0)
    inputs = keras.Input((8,))
    hidden = keras.layers.Dense(16, activation="relu", name="hidden")(inputs)
    outputs = keras.layers.Dense(2, activation="softmax")(keras.layers.Concatenate()([hidden, inputs]))
    model = keras.Model(inputs, outputs)
    model.compile("adam", "sparse_categorical_crossentropy")
    x = np.random.default_rng(0).standard_normal((64, 8)).astype("float32")
    probe = x.copy()
    probe[3, 0] = np.nan
    monitor = ActivationMonitor(probe_data=probe)
    with pytest.warns(NotJudgedWarning) as warned:
        history = model.fit(x, np.zeros(64, "int32"), epochs=2, verbose=0, callbacks=[monitor])
    assert np.isfinite(history.history["loss"]).all()
    [message] = _said(warned)
    assert "not finite while the training loss is" in message and "non-finite probe inputs" in monitor.not_judged
    assert np.isnan(monitor.history["dead_frac/hidden"]).all() and monitor.findings == []


def test_an_rnn_cell_is_measured_through_its_layer_not_said_unjudged():
    """An LSTM's cell returns its output with its states; the LSTM layer's output is what is
    measured, so the cell is not a layer left unjudged (no warning: the configuration makes one
    an error)."""
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((5, 3)), keras.layers.LSTM(4, name="lstm"),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    x = np.random.default_rng(0).standard_normal((32, 5, 3)).astype("float32")
    monitor = ActivationMonitor(probe_data=x)
    model.fit(x, np.zeros(32, "int32"), epochs=1, verbose=0, callbacks=[monitor])
    assert monitor.layers == {"lstm": "tanh"} and monitor.not_judged is None
    assert np.isfinite(monitor.history["saturated_frac/lstm"]).all()
