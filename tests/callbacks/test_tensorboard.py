"""TensorBoard: the monitors' per-layer signals as scalars of Keras' own `TensorBoard` callback, and
`HistogramWriter`'s histograms, both read back with TensorBoard's own event reader."""

import types
import warnings

import numpy as np
import pytest
import tensorflow as tf
from sklearn.datasets import load_digits

import keras
from callbacks import TrainingDiagnostics
from callbacks import _tensorboard
from callbacks._tensorboard import HistogramWriter

# TensorFlow 2.20 and later no longer install TensorBoard, whose reader (and tf.summary) these need.
pytest.importorskip("tensorboard", reason="TensorBoard is not installed (setup.cfg's test extra has it)")
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator  # noqa: E402

L = keras.layers
ROWS = 256  # HistogramWriter's default probe rows


def _digits():
    data = load_digits()
    return (data.data / 16.0).astype("float32"), data.target.astype("int32")


def _classifier():
    inputs = keras.Input((64,))
    hidden = L.Dense(32, activation="relu", name="hidden")(inputs)
    model = keras.Model(inputs, L.Dense(10, name="logits")(hidden))
    model.compile(keras.optimizers.Adam(0.01), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _events(folder):
    """TensorBoard's reader on `folder`, every value kept."""
    events = EventAccumulator(str(folder), size_guidance={"scalars": 0, "tensors": 0, "histograms": 0})
    events.Reload()
    return events


def _histograms(folder):
    """`{tag: [(step, (buckets, 3) array of left edge, right edge, count)]}` of the histograms."""
    events = _events(folder)
    return {tag: [(event.step, tf.make_ndarray(event.tensor_proto)) for event in events.Tensors(tag)]
            for tag in events.Tags()["tensors"]}


def _span_and_count(histogram):
    return histogram[0, 0], histogram[-1, 1], histogram[:, 2].sum()


def test_tensorboard_callback_shows_the_per_layer_signals_as_scalars(tmp_path):
    x, y = _digits()
    diagnostics = TrainingDiagnostics(verbose=0)
    _classifier().fit(x, y, batch_size=32, epochs=2, verbose=0,
                      callbacks=[diagnostics, keras.callbacks.TensorBoard(tmp_path)])
    events = _events(tmp_path / "train")
    tags = set(events.Tags()["tensors"])  # TF2 writes scalars as tensors
    for key in ("grad_norm/hidden", "grad_norm/logits", "dead_frac/hidden"):
        assert f"epoch_{key}" in tags, sorted(tags)
        written = [float(tf.make_ndarray(event.tensor_proto)) for event in events.Tensors(f"epoch_{key}")]
        np.testing.assert_allclose(written, diagnostics.history[key], rtol=1e-6, err_msg=key)


def test_histograms_of_gradients_and_activations_on_the_probe_rows(tmp_path):
    x, y = _digits()
    model = _classifier()
    writer = HistogramWriter(tmp_path)
    # Not shuffled: the probe rows are the first 256 training rows.
    model.fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=0, callbacks=[writer])
    assert writer.not_judged is None and writer.written_epochs == [0, 1]
    histograms = _histograms(tmp_path / "train")
    expected = {f"gradients/{layer}/{weight}" for layer in ("hidden", "logits") for weight in ("kernel", "bias")}
    assert set(histograms) == expected | {"activations/hidden", "activations/logits"}
    for tag, series in histograms.items():
        assert [step for step, _ in series] == [0, 1], tag
        assert all(np.all(np.isfinite(histogram)) for _, histogram in series), tag
    # The last histograms are of the weights fit ended with; NumPy gives the reference values.
    kernel, bias = (np.asarray(w, np.float64) for w in model.get_layer("hidden").get_weights())
    hidden = np.maximum(x[:ROWS] @ kernel + bias, 0.0)
    logits = hidden @ model.get_layer("logits").get_weights()[0] + model.get_layer("logits").get_weights()[1]
    probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    # d(mean cross-entropy)/d(logits bias) = mean over rows of (softmax - one-hot).
    bias_gradient = (probabilities - np.eye(10)[y[:ROWS]]).mean(axis=0)
    for tag, values in (("gradients/logits/bias", bias_gradient), ("activations/hidden", hidden),
                        ("activations/logits", logits)):
        low, high, count = _span_and_count(histograms[tag][-1][1])
        assert count == values.size, tag
        np.testing.assert_allclose([low, high], [values.min(), values.max()], rtol=1e-4, atol=1e-6, err_msg=tag)
    assert _span_and_count(histograms["gradients/hidden/kernel"][-1][1])[2] == 64 * 32


def test_fit_with_the_writer_gives_the_same_losses(tmp_path):
    x, y = _digits()
    keras.utils.set_random_seed(3)
    plain = _classifier().fit(x, y, batch_size=32, epochs=2, verbose=0).history["loss"]
    keras.utils.set_random_seed(3)
    written = _classifier().fit(x, y, batch_size=32, epochs=2, verbose=0,
                                callbacks=[HistogramWriter(tmp_path)]).history["loss"]
    assert written == plain


def test_subclassed_model_gets_gradients_and_says_activations_are_not_written(tmp_path):
    class Subclassed(keras.Model):
        def __init__(self):
            super().__init__()
            self.hidden = L.Dense(8, activation="relu")
            self.out = L.Dense(10)

        def call(self, inputs):
            return self.out(self.hidden(inputs))

    x, y = _digits()
    model = Subclassed()
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    writer = HistogramWriter(tmp_path)
    model.fit(x[:512], y[:512], batch_size=32, epochs=1, verbose=0, callbacks=[writer])
    tags = set(_histograms(tmp_path / "train"))
    assert len([tag for tag in tags if tag.startswith("gradients/")]) == 4
    assert not any(tag.startswith("activations/") for tag in tags)
    assert "activations are not written" in writer.not_judged


def test_a_shared_layer_gives_the_activations_of_its_first_call(tmp_path):
    encoder = L.Dense(8, activation="relu", name="encoder")
    first, second = keras.Input((4,)), keras.Input((4,))
    joined = L.Concatenate()([encoder(first), encoder(second)])
    model = keras.Model([first, second], L.Dense(1, name="out")(joined))
    model.compile("adam", "mse")
    data = np.random.default_rng(0).normal(size=(3, 2 * ROWS, 4)).astype("float32")
    writer = HistogramWriter(tmp_path)
    model.fit([data[0], data[1]], data[2][:, 0], batch_size=32, epochs=1, shuffle=False, verbose=0,
              callbacks=[writer])
    histograms = _histograms(tmp_path / "train")
    assert {"activations/out", "gradients/encoder/kernel"} <= set(histograms)
    kernel, bias = model.get_layer("encoder").get_weights()
    first_call = np.maximum(data[0][:ROWS] @ kernel + bias, 0.0)
    low, high, count = _span_and_count(histograms["activations/encoder"][-1][1])
    assert count == first_call.size
    np.testing.assert_allclose([low, high], [first_call.min(), first_call.max()], rtol=1e-4, atol=1e-6)
    assert writer.not_judged is None


def test_a_failure_warns_once_and_never_breaks_fit(tmp_path):
    def no_loss(*args, **kwargs):
        raise RuntimeError("this model computes its losses in its own step")

    model = _classifier()
    # A GAN-like model: its own step, and no compiled loss to take the gradient of.
    model.train_step = lambda data: {"loss": 0.0}
    model.compute_loss = no_loss
    x, y = _digits()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        writer = HistogramWriter(tmp_path)
        history = model.fit(x[:256], y[:256], batch_size=32, epochs=3, verbose=0, callbacks=[writer])
    assert len(history.history["loss"]) == 3
    ours = [w for w in caught if str(w.message).startswith("HistogramWriter")]
    assert len(ours) == 1 and writer.written_epochs == []
    assert writer.not_judged.startswith("no histograms written: RuntimeError: ")
    assert "this model computes its losses in its own step" in writer.not_judged


def test_without_tensorboard_installed_it_says_so_and_fit_goes_on(tmp_path, monkeypatch):
    missing = types.SimpleNamespace(util=types.SimpleNamespace(find_spec=lambda name: None))
    monkeypatch.setattr(_tensorboard, "importlib", missing)
    x, y = _digits()
    writer = HistogramWriter(tmp_path)
    with pytest.warns(UserWarning, match="TensorBoard is not installed"):
        _classifier().fit(x[:256], y[:256], batch_size=32, epochs=1, verbose=0, callbacks=[writer])
    assert writer.not_judged == "no histograms written: TensorBoard is not installed (pip install tensorboard)"
    assert not (tmp_path / "train").exists()


def test_registered_and_rebuilt_from_its_config(tmp_path):
    assert keras.saving.get_registered_name(HistogramWriter) == "zoo_diagnostics>HistogramWriter"
    rebuilt = HistogramWriter.from_config(HistogramWriter(tmp_path, probe_size=64).get_config())
    assert (rebuilt.log_dir, rebuilt.probe_size) == (str(tmp_path), 64)


def test_bad_arguments_name_the_argument():
    with pytest.raises(TypeError, match=r"`log_dir`.*Received: log_dir=3"):
        HistogramWriter(3)
    with pytest.raises(ValueError, match=r"Received: probe_size=0"):
        HistogramWriter("logs", probe_size=0)
