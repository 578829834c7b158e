"""Gradients through time: the probe's measurement against a tape on the inputs, and the verdict
on recurrent runs that fail through time (and on their fixed twins) at three seeds."""

import numpy as np
import pytest
import tensorflow as tf

import keras
from callbacks import GradientMonitor, TrainingDiagnostics
from callbacks._guard import NotJudgedWarning
from callbacks._time_gradient import TimeGradientProbe
from diagnostics.time_gradients import TIME_EXPLODING_GROWTH, TIME_VANISHING_SHARE

L = keras.layers
SEEDS = [0, 1, 2]
TIMESTEPS = 60


def _padded_sentences(seed, rows=320, vocabulary=30, positive=4):
    """Sentences of 4-8 word ids padded with 0 at the end; y = 1 when a word id is <= `positive`."""
    rng = np.random.default_rng(seed)
    lengths = rng.integers(4, 9, size=rows)
    words = rng.integers(1, vocabulary, size=(rows, TIMESTEPS))
    x = np.where(np.arange(TIMESTEPS)[None, :] < lengths[:, None], words, 0).astype("int32")
    y = np.any((x >= 1) & (x <= positive), axis=1).astype("float32")[:, None]
    return x, y, lengths


def _offset_channels(seed, rows=320, channels=3):
    """Noisy sequences; in class k, channel k is offset by 1 at every step."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, channels, size=rows)
    x = rng.normal(size=(rows, TIMESTEPS, channels))
    x[np.arange(rows), :, y] += 1.0
    return x.astype("float32"), y


def _text_model(mask_zero):
    return keras.Sequential([keras.Input((TIMESTEPS,), dtype="int32"), L.Embedding(30, 8, mask_zero=mask_zero),
                             L.LSTM(16, name="lstm"), L.Dense(1, activation="sigmoid")])


def _rnn(gain):
    return keras.Sequential([keras.Input((TIMESTEPS, 3)),
                             L.SimpleRNN(16, recurrent_initializer=keras.initializers.Orthogonal(gain=gain),
                                         name="rnn"),
                             L.Dense(3, activation="softmax")])


def _per_step_input_gradient(model, x, y):
    """Reference: mean over rows of ||d loss / d x_t||, with a tape on the raw inputs."""
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = model.compute_loss(x=x, y=y, y_pred=model(x, training=False), training=False)
    gradient = tape.gradient(loss, x).numpy().astype(np.float64)
    return np.linalg.norm(gradient, axis=-1).mean(axis=0)


def test_measurement_matches_a_tape_on_the_raw_inputs():
    keras.utils.set_random_seed(0)
    x, y = _offset_channels(0, rows=64)
    model = _rnn(3.0)
    model.compile("adam", "sparse_categorical_crossentropy")
    reference = _per_step_input_gradient(model, x, y)

    summary = TimeGradientProbe(model).measure(x, y)["rnn"]

    np.testing.assert_allclose(summary["growth"], reference[0] / reference[-1], rtol=1e-4)
    assert summary["informative_share"] == pytest.approx(1.0)  # every step of noise differs
    assert (summary["timesteps"], summary["first_informative"], summary["last_informative"]) == (60, 0, 59)


def test_a_layer_that_reads_backwards_is_measured_in_its_reading_order():
    """`go_backwards=True` reads step 59 first: the gradient grows from step 0 (read last, next to
    the output) toward step 59, and growth is the step read first over the step read last."""
    keras.utils.set_random_seed(0)
    x, y = _offset_channels(0, rows=64)
    model = keras.Sequential([keras.Input((TIMESTEPS, 3)),
                              L.SimpleRNN(16, go_backwards=True, name="rnn"), L.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    reference = _per_step_input_gradient(model, x, y)
    assert reference[-1] < reference[0]  # the tape: the step read first gets the least

    summary = TimeGradientProbe(model).measure(x, y)["rnn"]

    np.testing.assert_allclose(summary["growth"], reference[-1] / reference[0], rtol=1e-4)
    assert (summary["first_informative"], summary["last_informative"]) == (0, 59)
    assert (summary["read_first"], summary["read_last"]) == (59, 0)


def test_padding_that_every_row_shares_is_not_informative():
    keras.utils.set_random_seed(0)
    x, y, lengths = _padded_sentences(0, rows=64)
    model = _text_model(False)
    model.compile("adam", "binary_crossentropy")

    summary = TimeGradientProbe(model).measure(x, y)["lstm"]

    # Reference: the same per-step norms, read from the embedding's own gradient rows.
    embedding = model.layers[0]
    with tf.GradientTape() as tape:
        loss = model.compute_loss(x=x, y=y, y_pred=model(x, training=False), training=False)
    rows = tape.gradient(loss, embedding.embeddings).values.numpy().astype(np.float64)  # one row per token
    norms = np.linalg.norm(rows.reshape(64, TIMESTEPS, -1), axis=-1).mean(axis=0)
    last = lengths.max() - 1
    assert (summary["first_informative"], summary["last_informative"]) == (0, last)
    np.testing.assert_allclose(summary["informative_share"], norms[: last + 1].sum() / norms.sum(), rtol=1e-4)


def test_a_subclassed_recurrent_model_says_what_it_cannot_measure():
    class Reader(keras.Model):
        def __init__(self):
            super().__init__()
            self.rnn = L.SimpleRNN(4)
            self.out = L.Dense(1)

        def call(self, x):
            return self.out(self.rnn(x))

    x, y = _offset_channels(0, rows=64)
    model = Reader()
    model.compile("adam", "mse")
    monitor = GradientMonitor()
    with pytest.warns(NotJudgedWarning, match="gradient through time"):
        model.fit(x, y.astype("float32"), epochs=1, batch_size=32, verbose=0, callbacks=[monitor])
    assert "gradient through time" in monitor.extras["not_judged"]
    assert not any(key.startswith("time_grad_") for key in monitor.history)


def _fit(model, x, y, loss, seed, epochs=3):
    keras.utils.set_random_seed(seed)
    model.compile(keras.optimizers.Adam(3e-3), loss)
    diagnostics = TrainingDiagnostics(verbose=0)
    model.fit(x, y, batch_size=32, epochs=epochs, verbose=0, callbacks=[diagnostics])
    return diagnostics


@pytest.mark.parametrize("seed", SEEDS)
def test_words_read_through_trailing_padding_vanish_through_time(seed):
    x, y, _ = _padded_sentences(seed)
    keras.utils.set_random_seed(seed)
    findings = _fit(_text_model(False), x, y, "binary_crossentropy", seed).findings

    assert findings and findings[0].kind == "vanishing_gradient" and findings[0].layer == "lstm"
    assert findings[0].evidence["informative_share"] <= TIME_VANISHING_SHARE
    assert findings[0].remedies[0].sentence.startswith("Mask the padding")


@pytest.mark.parametrize("seed", SEEDS)
def test_masked_padding_is_healthy(seed):
    x, y, _ = _padded_sentences(seed)
    keras.utils.set_random_seed(seed)
    assert _fit(_text_model(True), x, y, "binary_crossentropy", seed).findings == []


@pytest.mark.parametrize("seed", SEEDS)
def test_a_recurrent_gain_of_three_explodes_through_time(seed):
    x, y = _offset_channels(seed)
    keras.utils.set_random_seed(seed)
    findings = _fit(_rnn(3.0), x, y, "sparse_categorical_crossentropy", seed).findings

    assert findings and findings[0].kind == "exploding_gradient" and findings[0].layer == "rnn"
    assert findings[0].evidence["time_growth"] >= TIME_EXPLODING_GROWTH
    assert findings[0].remedies[0].params == {"global_clipnorm": 1.0}


@pytest.mark.parametrize("seed", SEEDS)
def test_a_recurrent_gain_of_one_is_healthy(seed):
    x, y = _offset_channels(seed)
    keras.utils.set_random_seed(seed)
    diagnostics = _fit(_rnn(1.0), x, y, "sparse_categorical_crossentropy", seed)
    assert diagnostics.findings == []
    growth = [value for value in diagnostics.history["time_grad_growth/rnn"] if np.isfinite(value)]
    assert len(growth) == 3 and max(growth) < TIME_EXPLODING_GROWTH
