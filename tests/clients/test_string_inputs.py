"""String inputs turned into tokens inside the model: `StringLookup` on a few words per row, and
`TextVectorization` on a sentence per row, each adapted before `fit`. Strings cannot be kept as
probe rows (nor fingerprinted), so the activation and data checks say they did not judge them;
the rest is judged and healthy."""

import math

import numpy as np
import pytest
import tensorflow as tf

import keras
from tests.clients._after_fit import assert_saves_loads_and_fits_again
from tests.clients._client import SEEDS, assert_learned, assert_unjudged_is_skipped, fit_both, skipped_monitors

# Seconds a seed; CI runs the slow tier too (the default tier keeps the suite under ~8 minutes).
pytestmark = pytest.mark.slow

L = keras.layers
WORDS = np.array(["red", "green", "blue", "cyan", "pink", "gold", "grey", "teal"])
TRAIN_ROWS = 1000
# What the probe says of string batches (row by row: the rows, fingerprints and label pairs).
STRINGS = ["a string tensor in the batch is not numeric", "the probe captured no training batch"]


def _words(seed, rows=1200, per_row=3):
    """Rows of `per_row` colour words; label 1 when "red" is among them."""
    words = WORDS[np.random.default_rng(seed).integers(0, len(WORDS), size=(rows, per_row))]
    return words, (words == "red").any(axis=1).astype("float32")


def _sentences(seed, rows=1200):
    """One sentence of 2 to 6 colour words per row; label 1 when "red" is among them."""
    rng = np.random.default_rng(seed)
    sentences = [" ".join(WORDS[rng.integers(0, len(WORDS), size=rng.integers(2, 7))]) for _ in range(rows)]
    labels = np.array(["red" in sentence.split() for sentence in sentences], dtype="float32")
    return np.array(sentences)[:, None], labels


def _classifier(inputs, tokens, vocabulary):
    embedded = L.Flatten()(L.Embedding(vocabulary, 8, name="embed")(tokens))
    model = keras.Model(inputs, L.Dense(1, activation="sigmoid")(L.Dense(16, activation="relu", name="hidden")(embedded)))
    model.compile(keras.optimizers.Adam(0.02), "binary_crossentropy")
    return model


def _string_lookup(words):
    lookup = L.StringLookup(name="lookup")
    lookup.adapt(words[:TRAIN_ROWS].reshape(-1))
    inputs = keras.Input((words.shape[1],), dtype="string")
    return _classifier(inputs, lookup(inputs), lookup.vocabulary_size())


def _text_vectorization(sentences):
    vectorize = L.TextVectorization(max_tokens=16, output_sequence_length=6, name="vectorize")
    vectorize.adapt(sentences[:TRAIN_ROWS])
    inputs = keras.Input((1,), dtype="string")
    return _classifier(inputs, vectorize(inputs), 16)


@pytest.mark.parametrize("data, build", [(_words, _string_lookup), (_sentences, _text_vectorization)],
                         ids=["string_lookup", "text_vectorization"])
@pytest.mark.parametrize("seed", SEEDS)
def test_strings_tokenized_inside_the_model(data, build, seed, tmp_path):
    x, y = data(seed)
    models = []

    def fit(model, callbacks, epochs=3):
        # From tf.data: Keras 3 takes no NumPy string array as `x`.
        models.append(model)
        train = tf.data.Dataset.from_tensor_slices((x[:TRAIN_ROWS], y[:TRAIN_ROWS])).batch(32)
        validation = tf.data.Dataset.from_tensor_slices((x[TRAIN_ROWS:], y[TRAIN_ROWS:])).batch(64)
        return model.fit(train, validation_data=validation, epochs=epochs, verbose=0, callbacks=callbacks)

    diagnostics, _, (history,) = fit_both(lambda: build(x), fit, seed, not_judged=STRINGS)
    assert_learned(history, math.log(2))
    assert [str(finding) for finding in diagnostics.findings] == []
    assert skipped_monitors(diagnostics) == {"ActivationMonitor", "SetupMonitor"}
    assert_unjudged_is_skipped(diagnostics)
    assert_saves_loads_and_fits_again(models[-1], tf.constant(x[:64]),
                                      lambda model, callbacks: fit(model, callbacks, epochs=1), tmp_path,
                                      not_judged=STRINGS)
