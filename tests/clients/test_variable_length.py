"""Variable-length sequences: `Input((None,))` fed by `padded_batch`, so that every batch has its
own length. The activation probe cannot keep rows of no fixed shape: dead and saturated units are
then not judged, and `skipped` must say so."""

import math

import numpy as np
import pytest
import tensorflow as tf

import keras
from tests.clients._client import SEEDS, assert_learned, assert_unjudged_is_skipped, fit_both, skipped_monitors

L = keras.layers
VOCABULARY = 20
MARKER = 7


def _dataset(seed, rows, batch=32):
    """Sequences of 3 to 20 tokens in 1..19, padded per batch; half hold `MARKER` (label 1)."""
    rng = np.random.default_rng(seed)
    sequences, labels = [], []
    for _ in range(rows):
        tokens = rng.integers(1, VOCABULARY, size=rng.integers(3, 21))
        tokens[tokens == MARKER] = MARKER + 1
        label = int(rng.integers(0, 2))
        if label:
            tokens[rng.integers(0, len(tokens))] = MARKER
        sequences.append(tokens.astype("int32"))
        labels.append(float(label))
    data = tf.data.Dataset.from_generator(
        lambda: zip(sequences, labels),
        output_signature=(tf.TensorSpec([None], tf.int32), tf.TensorSpec([], tf.float32)))
    return data.padded_batch(batch)


def _build():
    inputs = keras.Input((None,), dtype="int32")
    embedded = L.Embedding(VOCABULARY, 16, mask_zero=True)(inputs)
    hidden = L.Dense(16, activation="relu")(L.GlobalAveragePooling1D()(embedded))
    model = keras.Model(inputs, L.Dense(1, activation="sigmoid")(hidden))
    model.compile(keras.optimizers.Adam(0.02), "binary_crossentropy")
    return model


@pytest.mark.parametrize("seed", SEEDS)
def test_padded_batches_of_variable_length(seed):
    train, validation = _dataset(seed, 768), _dataset(seed + 100, 256)

    def fit(model, callbacks):
        return model.fit(train, validation_data=validation, epochs=3, verbose=0, callbacks=callbacks)

    diagnostics, _, (history,) = fit_both(_build, fit, seed, not_judged=[
        "no static feature shape", "SetupMonitor could not judge the data: the probe captured no training batch"])
    assert_learned(history, math.log(2))
    assert [str(finding) for finding in diagnostics.findings] == []
    assert "ActivationMonitor" in skipped_monitors(diagnostics)
    assert_unjudged_is_skipped(diagnostics)
