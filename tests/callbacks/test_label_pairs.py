"""BatchProbe (row, label) fingerprint pairs: the first pass beside the row fingerprints, the second
pass after `recheck_label_pairs`, both checked against a NumPy computation of the fingerprints."""

import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

from callbacks._batch_probe import LABEL_PAIRS, shared_probe
from callbacks._guard import NotJudgedWarning
from tests.callbacks.test_row_fingerprints import _classifier, _digits, _reference


class _RecheckAfterFirstEpoch(keras.callbacks.Callback):
    """What `SetupMonitor` does at the end of the first epoch: close the first pass, open the second."""

    def __init__(self, probe):
        super().__init__()
        self.probe = probe

    def on_epoch_end(self, epoch, logs=None):
        if epoch == 0:
            self.probe.stop_fingerprints()
            self.probe.recheck_label_pairs()


def _pair_set(rows, labels):
    return set(zip(_reference(rows).tolist(), _reference(labels).tolist()))


# A first pass of 1024 rows is still open when the first epoch ends; one of 100 is full before it,
# so the steps had stopped writing, and the second pass must start them again.
@pytest.mark.parametrize("jit_compile,steps_per_execution,batch_size,first_rows", [
    (False, 1, 32, 1024), (True, 3, 16, 1024), (False, 1, 10, 100), (True, 1, 10, 100)])
def test_both_passes_keep_each_row_with_its_label(jit_compile, steps_per_execution, batch_size, first_rows):
    x, y = _digits(150), np.arange(150) % 10
    model = _classifier(jit_compile=jit_compile, steps_per_execution=steps_per_execution)
    probe = shared_probe(model)
    probe.attach()
    probe.request_fingerprints(first_rows, 8)
    probe.request_label_pairs(64)
    try:
        model.fit(x, y, batch_size=batch_size, epochs=3, verbose=0, callbacks=[_RecheckAfterFirstEpoch(probe)])
        first, second, rows = probe.label_pairs(), probe.label_pairs(recheck=True), probe.fingerprints()
    finally:
        probe.detach()
    expected = _pair_set(x, y)
    kept = min(first_rows, 150)
    assert first.shape == (kept, 2) and len(set(map(tuple, first.tolist())) & expected) == kept
    np.testing.assert_array_equal(rows, first[:, 0])  # the row fingerprints are the pairs' first column
    # The second epoch's first 64 rows (shuffled), a full step past them in the spare slot.
    assert second.shape == (64, 2) and set(map(tuple, second.tolist())) <= expected
    assert np.unique(second[:, 0]).size == 64


def test_labels_shuffled_apart_from_their_rows_change_between_passes():
    x, y = _digits(150), np.arange(150) % 10
    pipeline = tf.data.Dataset.zip((tf.data.Dataset.from_tensor_slices(x).shuffle(150, seed=1),
                                    tf.data.Dataset.from_tensor_slices(y).shuffle(150, seed=2))).batch(25)
    model = _classifier()
    probe = shared_probe(model)
    probe.attach()
    probe.request_fingerprints(1024, 8)
    probe.request_label_pairs(150)
    try:
        model.fit(pipeline, epochs=2, verbose=0, callbacks=[_RecheckAfterFirstEpoch(probe)])
        first, second = probe.label_pairs(), probe.label_pairs(recheck=True)
    finally:
        probe.detach()
    truth = _pair_set(x, y)
    first_pairs, second_pairs = set(map(tuple, first.tolist())), set(map(tuple, second.tolist()))
    # Every row and every label is there, each pass pairing them at random.
    assert {row for row, _ in first_pairs} == {row for row, _ in second_pairs} == {row for row, _ in truth}
    assert len(first_pairs & second_pairs) < 50 and len(first_pairs & truth) < 50


def test_batches_without_targets_keep_row_fingerprints_and_say_why_no_pairs():
    class Penalized(keras.layers.Layer):
        def call(self, inputs):
            self.add_loss(keras.ops.mean(inputs ** 2))
            return inputs

    inputs = keras.Input((64,))
    model = keras.Model(inputs, Penalized()(keras.layers.Dense(4)(inputs)))
    model.compile("sgd")
    probe = shared_probe(model)
    probe.attach()
    probe.request_fingerprints(1024, 8)
    probe.request_label_pairs(32)
    x = _digits(40)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", NotJudgedWarning)  # nothing asked for was withheld
            model.fit(x, batch_size=8, epochs=1, verbose=0)
        assert probe.label_pairs() is None and probe.label_pairs(recheck=True) is None
        assert probe.unmeasurable(LABEL_PAIRS) == "the batches hold no targets"
        np.testing.assert_array_equal(np.sort(probe.fingerprints()), np.sort(_reference(x)))
    finally:
        probe.detach()


def test_bad_label_pair_requests_are_refused():
    probe = shared_probe(_classifier())
    with pytest.raises(RuntimeError, match="request_fingerprints"):
        probe.request_label_pairs()
    probe.attach()
    try:
        probe.request_fingerprints(64, 8)
        with pytest.raises(ValueError, match="Received: recheck_rows=0"):
            probe.request_label_pairs(0)
    finally:
        probe.detach()
