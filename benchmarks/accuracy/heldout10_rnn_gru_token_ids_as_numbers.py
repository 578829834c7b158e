"""Held out (tenth split): a GRU fed token ids as numbers, without an `Embedding`.

The fault. A user classifies sentences into four topics with a `TextVectorization` layer
(16 ids per sentence) and `GRU(32)`, `Dense(4, "softmax")`, Adam(1e-3), but leaves out the
`Embedding`: they reshape the ids to `(n, 16, 1)` and cast them to float, so each word reaches
the GRU as one number, its vocabulary index (0 to about 220). An index is a name, not a
quantity: word 150 is not "more" than word 30, and most of the information (which topic a word
belongs to) is not a smooth function of its index. The inputs are also large: the gates see
pre-activations of tens to hundreds and saturate. The model stays far below what an embedding
reaches. The run must show inputs above 100 and a validation accuracy below 0.6 (chance is
about 0.25; the twin reaches above 0.9).

Expected: `underfitting` (the model cannot fit the training labels).
Acceptable:
- `unnormalized_input`: the inputs are in the hundreds;
- `saturation`: the GRU's gates sit at their bounds for such inputs;
- `plateau`: the loss barely moves after the first epochs.

The healthy twin feeds the int ids through `Embedding(vocabulary, 16)` (the fix). It must reach
0.9 validation accuracy and generalize.
"""

import keras
import numpy as np
from keras import layers

from benchmarks.accuracy import heldout9_parts, heldout10_parts
from benchmarks.accuracy.scenario import scenario

LARGE_INPUT = 100
POOR_ACCURACY = 0.6
IDS_AS_NUMBERS_SIDE_EFFECTS = ("unnormalized_input", "saturation", "plateau")


def _run(embedded, seed):
    (ids, topics), (ids_val, topics_val), vocabulary = heldout10_parts.topic_tokens(seed)
    length = heldout10_parts.LENGTH
    if embedded:
        front = [keras.Input((length,), dtype="int32"), layers.Embedding(vocabulary, 16)]
    else:
        front = [keras.Input((length, 1))]
        ids, ids_val = (a.astype("float32")[..., None] for a in (ids, ids_val))
    model = keras.Sequential([*front, layers.GRU(32), layers.Dense(4, activation="softmax")])
    return heldout10_parts.topic_run(model, "sparse_categorical_crossentropy", (ids, topics), (ids_val, topics_val))


def ids_as_numbers_fail(trained):
    """The inputs reach above `LARGE_INPUT` and the validation accuracy is below
    `POOR_ACCURACY`."""
    largest = float(np.max(trained.run.x))
    accuracy = heldout9_parts.validation_accuracy(trained)
    return largest > LARGE_INPUT and accuracy < POOR_ACCURACY, \
        f"largest input {largest:.0f}, validation accuracy {accuracy:.3f}"


@scenario("rnn", expected=("underfitting",), acceptable=IDS_AS_NUMBERS_SIDE_EFFECTS, heldout=True,
          verify=ids_as_numbers_fail)
def heldout10_rnn_gru_token_ids_as_float_features(seed):
    return _run(False, seed)


@scenario("rnn", heldout=True, verify=heldout10_parts.accurate_and_generalizes())
def heldout10_healthy_rnn_gru_token_ids_through_embedding(seed):
    return _run(True, seed)
