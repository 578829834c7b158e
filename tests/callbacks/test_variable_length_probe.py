"""Variable-length sequences (`keras.Input((None,))`, `padded_batch`): the batch probe cannot keep
rows of no fixed shape, so dead and saturated units are not judged. The monitor must say so, with
the reason, from the first epoch on: in `not_judged`, in a `NotJudgedWarning`, and (through
`TrainingDiagnostics`) in `skipped`."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from callbacks import ActivationMonitor, TrainingDiagnostics
from callbacks._guard import NotJudgedWarning


def _padded_batches(seed=0, rows=96):
    rng = np.random.default_rng(seed)
    lengths = rng.integers(3, 12, size=rows)
    tokens = [rng.integers(1, 40, size=length) for length in lengths]
    labels = np.array([int(t[0] > 20) for t in tokens])
    return tf.data.Dataset.from_generator(
        lambda: zip(tokens, labels),
        output_signature=(tf.TensorSpec((None,), tf.int64), tf.TensorSpec((), tf.int64)),
    ).padded_batch(32)


def _sequence_model():
    model = keras.Sequential([
        keras.Input((None,), dtype="int64"),
        keras.layers.Embedding(40, 8, mask_zero=True),
        keras.layers.LSTM(8),
        keras.layers.Dense(8, activation="relu", name="hidden"),
        keras.layers.Dense(1, activation="sigmoid"),
    ])
    model.compile("adam", "binary_crossentropy")
    return model


class _NotJudgedAtEpochEnd(keras.callbacks.Callback):
    def __init__(self, monitor):
        super().__init__()
        self.monitor, self.seen = monitor, []

    def on_epoch_end(self, epoch, logs=None):
        self.seen.append(self.monitor.not_judged)


def test_units_of_a_variable_length_model_are_said_not_judged_from_the_first_epoch():
    model = _sequence_model()
    monitor = ActivationMonitor()
    seen = _NotJudgedAtEpochEnd(monitor)
    with pytest.warns(NotJudgedWarning, match="no static feature shape"):
        model.fit(_padded_batches(), epochs=2, verbose=0, callbacks=[monitor, seen])
    assert "hidden" in monitor.layers
    assert len(seen.seen) == 2
    assert all(note is not None and "no static feature shape" in note for note in seen.seen)
    assert "probe_data" in monitor.not_judged and monitor.extras["not_judged"] == monitor.not_judged
    assert monitor.findings == [] and monitor.probed_epochs == []


@pytest.mark.slow
def test_given_probe_data_the_same_model_is_judged():
    model = _sequence_model()
    probe = np.random.default_rng(0).integers(1, 40, size=(64, 10))
    monitor = ActivationMonitor(probe_data=probe)
    model.fit(_padded_batches(), epochs=1, verbose=0, callbacks=[monitor])
    assert monitor.not_judged is None and monitor.probed_epochs == [0]
    assert np.isfinite(monitor.history["dead_frac/hidden"][0])


def test_training_diagnostics_lists_the_unjudged_units_in_skipped():
    diagnostics = TrainingDiagnostics(verbose=0)
    with pytest.warns(NotJudgedWarning):
        _sequence_model().fit(_padded_batches(), epochs=1, verbose=0, callbacks=[diagnostics])
    notes = {note.monitor: note.reason for note in diagnostics.skipped}
    assert "no static feature shape" in notes["ActivationMonitor"]
