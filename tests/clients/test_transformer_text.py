"""A small Transformer text classifier with masking: `Embedding(mask_zero=True)` feeding
`MultiHeadAttention`, whose attention mask Keras derives from the padding (`keras.ops` nodes in the
functional graph)."""

import math

import numpy as np
import pytest

import keras
from tests.clients._client import SEEDS, assert_healthy, assert_learned, fit_both

L = keras.layers
VOCABULARY = 20
LENGTH = 16
MARKER = 7  # the label says whether this token is in the sequence


def _sequences(seed, rows=1024):
    """Padded token sequences (0 pads) of 4 to 16 tokens; half of them hold `MARKER` somewhere."""
    rng = np.random.default_rng(seed)
    tokens = rng.integers(1, VOCABULARY, size=(rows, LENGTH))
    tokens[tokens == MARKER] = MARKER + 1
    labels = rng.integers(0, 2, size=rows)
    lengths = rng.integers(4, LENGTH + 1, size=rows)
    for row, (label, length) in enumerate(zip(labels, lengths)):
        if label:
            tokens[row, rng.integers(0, length)] = MARKER
        tokens[row, length:] = 0
    return tokens.astype("int32"), labels.astype("float32")


def _build():
    inputs = keras.Input((LENGTH,), dtype="int32")
    embedded = L.Embedding(VOCABULARY, 16, mask_zero=True)(inputs)
    attended = L.MultiHeadAttention(num_heads=2, key_dim=8)(embedded, embedded)
    hidden = L.LayerNormalization()(L.Add()([embedded, attended]))
    hidden = L.Dense(16, activation="relu")(hidden)
    pooled = L.GlobalAveragePooling1D()(hidden)
    model = keras.Model(inputs, L.Dense(1, activation="sigmoid")(pooled))
    model.compile(keras.optimizers.Adam(0.01), "binary_crossentropy", metrics=["accuracy"])
    return model


@pytest.mark.parametrize("seed", SEEDS)
def test_masked_transformer_classifier(seed):
    x, y = _sequences(seed)

    def fit(model, callbacks):
        return model.fit(x[:896], y[:896], validation_data=(x[896:], y[896:]), batch_size=32, epochs=3,
                         verbose=0, callbacks=callbacks)

    diagnostics, _, (history,) = fit_both(_build, fit, seed)
    assert_learned(history, math.log(2))
    assert_healthy(diagnostics)
