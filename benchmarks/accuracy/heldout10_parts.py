"""Pieces the tenth held-out split shares: topic sentences as token ids, split by seed, the run
of a topic classifier on them, and the healthy twins' "accurate and generalizes" check. Not a
scenario module (it registers nothing, and `benchmarks.accuracy` does not import it as one).
"""

import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import data, heldout8_parts, heldout9_parts, measure
from benchmarks.accuracy.scenario import Run

LENGTH = 16
TOPIC_EPOCHS = 6


def topic_tokens(seed, length=LENGTH):
    """`heldout9_parts.topic_sentences(seed)` (four topics) as token ids: a `TextVectorization`
    (2,000 tokens at most, `length` ids per sentence) adapted on the training part. Returns
    `(ids, topics), (ids_val, topics_val), vocabulary_size`, ids int32 of shape `(n, length)`."""
    sentences, topics = heldout9_parts.topic_sentences(seed)
    order = np.random.default_rng(seed).permutation(len(topics))
    n_val = int(len(topics) * data.VALIDATION_SHARE)
    val, train = order[:n_val], order[n_val:]
    vectorizer = layers.TextVectorization(max_tokens=2000, output_sequence_length=length)
    vectorizer.adapt([sentences[i] for i in train])
    ids = np.asarray(vectorizer(sentences)).astype("int32")
    return (ids[train], topics[train]), (ids[val], topics[val]), vectorizer.vocabulary_size()


def topic_run(model, loss, train, val):
    """A `Run` of a topic classifier on token ids: Adam(1e-3), `TOPIC_EPOCHS` epochs, accuracy
    among the metrics.

    Args:
        model: an uncompiled model over the ids of `topic_tokens`.
        loss: a Keras loss (name or instance).
        train, val: `(ids, topics)` of the training and the validation part.

    Returns:
        The `Run`.
    """
    return Run(model, optimizers.Adam(1e-3), loss, *train, epochs=TOPIC_EPOCHS, validation_data=val,
               metrics=("accuracy",))


def accurate_and_generalizes():
    """A healthy classifier twin: at least `heldout8_parts.GOOD_ACCURACY` of the validation rows
    right after `fit` (`heldout9_parts.at_least_accurate`), and a validation loss that does not end
    10% above its minimum while the training loss falls below it (`measure.generalizes`)."""
    return measure.all_of(heldout9_parts.at_least_accurate(heldout8_parts.GOOD_ACCURACY), measure.generalizes())
