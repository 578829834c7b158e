"""Pieces the ninth held-out split shares: accuracy of a model on its validation data, digit
pairs for a siamese model, and topic sentences for a text model. Not a scenario module (it
registers nothing, and `benchmarks.accuracy` does not import it as one).
"""

import numpy as np

from benchmarks.accuracy import data


def predicted_classes(model, x):
    """The class each row of `x` gets: the argmax of a softmax head, or `p > 0.5` of a single
    sigmoid unit."""
    scores = np.asarray(model(x, training=False))
    if scores.shape[-1] == 1:
        return (scores[:, 0] > 0.5).astype("int64")
    return scores.argmax(-1)


def validation_accuracy(trained):
    """The share of validation rows whose predicted class (`predicted_classes`) is their label
    (integer labels, or one-hot rows)."""
    x_val, y_val = trained.run.validation_data
    y_val = np.asarray(y_val)
    labels = y_val.argmax(-1) if y_val.ndim > 1 and y_val.shape[-1] > 1 else y_val.reshape(-1)
    return float(np.mean(predicted_classes(trained.run.model, x_val) == labels))


def at_least_accurate(share):
    """A check: the model, as it is after `fit`, classifies at least `share` of the validation
    rows right."""
    def verify(trained):
        accuracy = validation_accuracy(trained)
        return accuracy >= share, f"validation accuracy {accuracy:.3f}"
    return verify


def digit_pairs(seed, n_pairs=2400):
    """Pairs of 8x8 digits (pixels in [0, 1], 64 features each) for a "same digit?" model: half
    the pairs show the same class, half two different ones. Returns `(a, b, same)` for the
    training and the validation part (`data.split` of the digits by `seed`, pairs drawn within
    each part): `((a, b, same), (a_val, b_val, same_val))`, `same` as float32 0/1 of shape
    `(n, 1)`."""
    rng = np.random.default_rng(seed + 1000)
    (x, y), (x_val, y_val) = data.digits(seed)
    return _pairs(x, y, n_pairs, rng), _pairs(x_val, y_val, n_pairs // 4, rng)


def _pairs(x, y, n, rng):
    first = rng.integers(0, len(x), n)
    same = rng.random(n) < 0.5
    second = np.array([rng.choice(np.flatnonzero((y == y[anchor]) if want_same else (y != y[anchor])))
                       for anchor, want_same in zip(first, same)])
    return x[first], x[second], same.astype("float32")[:, None]


TOPIC_WORDS = 40
COMMON_WORDS = 60


def topic_sentences(seed, topics=4, n=1600, min_words=8, max_words=16, topic_share=0.4, shares=None):
    """Generated sentences of `min_words` to `max_words` words on one of `topics` topics (drawn
    with probabilities `shares`, None: equally): each word is one of the topic's `TOPIC_WORDS`
    words (probability `topic_share`) or one of `COMMON_WORDS` words every topic uses. Returns
    `(sentences, topic)`: a list of strings, int64 labels."""
    rng = np.random.default_rng(seed)
    topic_vocab = [[f"t{t}w{i}" for i in range(TOPIC_WORDS)] for t in range(topics)]
    common = [f"c{i}" for i in range(COMMON_WORDS)]
    labels = rng.choice(topics, n, p=shares)
    sentences = []
    for label in labels:
        words = [rng.choice(topic_vocab[label]) if rng.random() < topic_share else rng.choice(common)
                 for _ in range(rng.integers(min_words, max_words + 1))]
        sentences.append(" ".join(words))
    return sentences, labels.astype("int64")
