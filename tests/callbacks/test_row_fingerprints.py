"""BatchProbe row fingerprints: computed in the steps, checked against a NumPy computation.

The reference hashes each row with NumPy's int64 arithmetic (which wraps modulo 2**64 on arrays):
the row's bits (float32 bits viewed as int32, or the integers) times the fixed odd multipliers,
summed over the features, and the sum's two 32-bit halves XORed. Only the multipliers come from
the code under test.
"""

import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits

from callbacks._batch_probe import fingerprint_multipliers, shared_probe


def _reference(*inputs):
    """The fingerprint of every row of `inputs` (arrays of the model inputs, in order), int32."""
    total = np.zeros(len(inputs[0]), np.int64)
    for position, array in enumerate(inputs):
        array = np.asarray(array)
        bits = array.astype(np.float32).view(np.int32) if array.dtype.kind == "f" else array
        bits = bits.astype(np.int64).reshape(len(array), -1)
        total += (bits * fingerprint_multipliers(bits.shape[1], position)).sum(axis=1, dtype=np.int64)
    return (total >> 32).astype(np.int32) ^ total.astype(np.int32)


def _digits(rows):
    """Digit images on a grid of sixteenths: float32 whose low 19 bits are all zero."""
    return (load_digits().data[:rows] / 16).astype("float32")


def _classifier(features=64, jit_compile=False, steps_per_execution=1):
    model = keras.Sequential([keras.Input((features,)), keras.layers.Dense(10, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", jit_compile=jit_compile,
                  steps_per_execution=steps_per_execution)
    return model


def _attached(model, rows, validation_rows):
    probe = shared_probe(model)
    probe.attach()
    probe.request_fingerprints(rows, validation_rows)
    return probe


@pytest.mark.parametrize("jit_compile,steps_per_execution,batch_size", [
    (False, 1, 32), (True, 1, 7), (True, 3, 16), (True, 1, 1),
])
def test_fingerprints_of_every_row_match_numpy(jit_compile, steps_per_execution, batch_size):
    x, x_val = _digits(150), _digits(200)[150:]
    y = np.arange(150) % 10
    model = _classifier(jit_compile=jit_compile, steps_per_execution=steps_per_execution)
    probe = _attached(model, 1024, 30)
    try:
        model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0, validation_data=(x_val, y[:50]))
        train, validation = probe.fingerprints(), probe.fingerprints(validation=True)
        coverage = probe.fingerprint_coverage(None)
    finally:
        probe.detach()
    assert train.dtype == np.int32
    np.testing.assert_array_equal(np.sort(train), np.sort(_reference(x)))  # shuffled by fit
    np.testing.assert_array_equal(validation, _reference(x_val)[:30])
    assert np.unique(train).size == 150  # distinct rows, distinct fingerprints
    assert coverage == 1.0


def test_a_full_buffer_keeps_its_first_rows_and_says_what_share_it_covers():
    x = _digits(100)
    model = _classifier()
    probe = _attached(model, 60, 8)
    try:
        model.fit(x, np.arange(100) % 10, batch_size=16, epochs=3, shuffle=False, verbose=0)
        np.testing.assert_array_equal(probe.fingerprints(), _reference(x)[:60])
        # Filled in 4 steps of 16 rows (the last 4 rows past the end); an epoch of 7 such steps
        # has 112 rows.
        assert probe.fingerprint_coverage(7) == pytest.approx(60 / 112)
        assert probe.fingerprint_coverage(None) is None
        assert probe.fingerprints(validation=True) is None
    finally:
        probe.detach()


def test_stopped_fingerprints_are_kept_and_no_more_are_added():
    x = _digits(200)
    model = _classifier()
    probe = _attached(model, 1024, 8)
    probe.attach()  # a second user, as another monitor holds the probe
    try:
        model.fit(x[:100], np.arange(100) % 10, batch_size=16, epochs=1, verbose=0)
        probe.stop_fingerprints()
        probe.detach()
        model.fit(x[100:], np.arange(100) % 10, batch_size=16, epochs=1, verbose=0)
        np.testing.assert_array_equal(np.sort(probe.fingerprints()), np.sort(_reference(x[:100])))
        assert probe.fingerprint_coverage(7) == 1.0
    finally:
        probe.detach()


def test_several_integer_and_float_inputs_are_combined():
    rng = np.random.default_rng(3)
    tokens = rng.integers(-(2**40), 2**40, size=(60, 5))
    values = rng.standard_normal((60, 2))  # float64, cast to float32 by the hash
    inputs = {"tokens": keras.Input((5,), dtype="int64", name="tokens"),
              "values": keras.Input((2,), name="values")}
    merged = keras.layers.Concatenate()([keras.ops.cast(inputs["tokens"], "float32"), inputs["values"]])
    model = keras.Model(inputs, keras.layers.Dense(1)(merged))
    model.compile("sgd", "mse", jit_compile=True)
    probe = _attached(model, 128, 8)
    try:
        model.fit({"tokens": tokens, "values": values}, np.zeros((60, 1)), batch_size=8, epochs=1,
                  verbose=0)
        train = probe.fingerprints()
    finally:
        probe.detach()
    # keras.tree.flatten orders a dict's inputs by key: tokens, then values.
    np.testing.assert_array_equal(np.sort(train), np.sort(_reference(tokens, values)))


def test_two_replicas_fingerprint_every_row(mirrored_strategy):
    x = _digits(120)
    with mirrored_strategy.scope():
        model = _classifier()
    probe = _attached(model, 256, 40)
    try:
        model.fit(x, np.arange(120) % 10, batch_size=16, epochs=1, verbose=0, validation_data=(x, np.zeros(120)))
        train, validation = probe.fingerprints(), probe.fingerprints(validation=True)
        coverage = probe.fingerprint_coverage(8)
    finally:
        probe.detach()
    np.testing.assert_array_equal(np.sort(train), np.sort(_reference(x)))
    assert validation.size == 40 and np.isin(validation, _reference(x)).all()
    assert coverage == 1.0


@pytest.mark.parametrize("kwargs, match", [
    ({"rows": 0}, "Received: rows=0"), ({"validation_rows": True}, "Received: validation_rows=True"),
])
def test_bad_fingerprint_requests_are_refused(kwargs, match):
    probe = shared_probe(_classifier())
    with pytest.raises(RuntimeError, match="attach"):
        probe.request_fingerprints()
    probe.attach()
    try:
        with pytest.raises(ValueError, match=match):
            probe.request_fingerprints(**kwargs)
    finally:
        probe.detach()
