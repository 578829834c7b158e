"""The probe keeps rows of batches whose feature shape `tf.data` leaves open
(`keras.utils.timeseries_dataset_from_array`: `(None, None, 1)`) in the shape the model declares,
and never fails a step whose batch has another shape (Keras lets an LSTM take any length)."""

import warnings

import numpy as np
import pytest

import keras
from callbacks._batch_probe import Kept, shared_probe
from callbacks._guard import NotJudgedWarning

WINDOW = 16


def _series(rows=200):
    """A series whose values number its steps, so that a kept window can be traced back."""
    return np.arange(rows, dtype="float32")[:, None]


def _windows(length, batch_size=8):
    series = _series()
    targets = np.zeros(len(series), "float32")
    return keras.utils.timeseries_dataset_from_array(series, targets, sequence_length=length, batch_size=batch_size)


def _model(jit_compile):
    inputs = keras.Input((WINDOW, 1))
    model = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.LSTM(4)(inputs)))
    model.compile(keras.optimizers.SGD(0.0), "mse", jit_compile=jit_compile)
    return model


@pytest.mark.parametrize("jit_compile", [False, True])
def test_windows_of_open_length_are_kept_in_the_declared_shape(jit_compile):
    data = _windows(WINDOW)
    assert data.element_spec[0].shape.as_list() == [None, None, 1]
    model = _model(jit_compile)
    probe = shared_probe(model)
    probe.attach()
    probe.request(20)
    probe.request_fingerprints(rows=40, validation_rows=8)
    try:
        model.fit(data, validation_data=data, epochs=1, verbose=0)
        # Window i holds the steps i .. i + 15: the first 20 windows, over 3 batches of 8.
        expected = np.arange(20)[:, None] + np.arange(WINDOW)[None, :]
        np.testing.assert_array_equal(probe.inputs(), expected[:, :, None].astype("float32"))
        assert probe.unmeasurable(Kept.ROWS) is None
        training, validation = probe.fingerprints(), probe.fingerprints(validation=True)
        assert len(training) == 40 and len(validation) == 8
        assert set(validation) <= set(training)  # the same windows, fingerprinted alike
    finally:
        probe.detach()


@pytest.mark.parametrize("jit_compile", [False, True])
def test_windows_longer_than_declared_train_and_are_not_kept(jit_compile):
    model = _model(jit_compile)
    probe = shared_probe(model)
    probe.attach()
    probe.request(20)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", NotJudgedWarning)
            history = model.fit(_windows(WINDOW + 4), epochs=1, verbose=0)
        assert np.isfinite(history.history["loss"]).all()
        assert probe.inputs() is None  # no batch had the declared shape
    finally:
        probe.detach()


@pytest.mark.parametrize("jit_compile", [False, True])
@pytest.mark.parametrize("length", [WINDOW, WINDOW + 4])
def test_the_probe_says_which_shape_the_batches_had_instead_of_the_declared_one(length, jit_compile):
    model = _model(jit_compile)
    probe = shared_probe(model)
    probe.attach()
    probe.request(20)
    try:
        model.fit(_windows(length), epochs=1, verbose=0)
        expected = None if length == WINDOW else (
            "the model declares inputs of shape (16, 1), but the training batches had shape (20, 1)")
        assert probe.shape_mismatch() == expected
    finally:
        probe.detach()
