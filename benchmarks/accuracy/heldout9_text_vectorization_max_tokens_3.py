"""Held out (ninth split): `TextVectorization(max_tokens=3)` before a topic classifier.

The fault. A user classifies short sentences into four topics (generated: 8 to 16 words each,
40% of them drawn from the topic's own 40 words, the rest from 60 words every topic shares),
turning them into token ids with `keras.layers.TextVectorization(max_tokens=3,
output_sequence_length=16)` adapted on the training sentences (they meant "3 thousand"; with 2,
Keras refuses to build an empty vocabulary, with 3 it accepts), then `Embedding(vectorizer.vocabulary_size(), 16)`,
`GlobalAveragePooling1D()` and `Dense(4, "softmax")`, with Adam(1e-3). A vocabulary of three
tokens holds the padding (0), the out-of-vocabulary token (1) and the most frequent training
word (2), one of the shared words: every other word becomes 1, and all that is left of a
sentence is its length and how often it uses that one shared word, neither of which depends on
its topic. No model can do better than chance
on such inputs: the loss falls to the label entropy and stays there. The run must show token
ids that are only 0, 1 and 2 and a final training loss above 0.95 of chance.

Expected: `underfitting` (the model fits nothing: the training loss stays at chance).
Acceptable:
- `plateau`: the loss reaches chance in the first epochs and stops there;
- `suspicious_config`: the cause is a setup value, a vocabulary of three tokens.

The healthy twin uses `max_tokens=2000` (the fix; the adapted vocabulary then holds all 220
words). It must train well and generalize.
"""

import keras
import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import data, heldout8_parts, heldout9_parts, measure
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 20
LENGTH = 16
NEAR_CHANCE = 0.95
THREE_TOKEN_SIDE_EFFECTS = ("plateau", "suspicious_config")


def _run(max_tokens, seed):
    sentences, topics = heldout9_parts.topic_sentences(seed)
    order = np.random.default_rng(seed).permutation(len(topics))
    n_val = int(len(topics) * data.VALIDATION_SHARE)
    val, train = order[:n_val], order[n_val:]
    vectorizer = layers.TextVectorization(max_tokens=max_tokens, output_sequence_length=LENGTH)
    vectorizer.adapt([sentences[i] for i in train])
    tokens = np.asarray(vectorizer(sentences)).astype("int32")
    model = keras.Sequential([keras.Input((LENGTH,), dtype="int32"),
                              layers.Embedding(vectorizer.vocabulary_size(), 16),
                              layers.GlobalAveragePooling1D(), layers.Dense(4, activation="softmax")])
    return Run(model, optimizers.Adam(1e-3), "sparse_categorical_crossentropy", tokens[train],
               topics[train], epochs=EPOCHS, validation_data=(tokens[val], topics[val]),
               metrics=("accuracy",))


def three_token_ids(run):
    return set(np.unique(run.x)) <= {0, 1, 2}


@scenario("text", expected=("underfitting",), acceptable=THREE_TOKEN_SIDE_EFFECTS, heldout=True,
          verify=measure.all_of(measure.fact(three_token_ids, "token ids only 0, 1 and 2"),
                                measure.fails_to_learn(NEAR_CHANCE)))
def heldout9_text_vectorization_max_tokens_3(seed):
    return _run(3, seed)


@scenario("text", heldout=True, verify=heldout8_parts.trains_and_generalizes())
def heldout9_healthy_text_vectorization_max_tokens_2000(seed):
    return _run(2000, seed)
