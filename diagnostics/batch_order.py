"""Batches of one class: training data fed in label order.

`model.fit` shuffles arrays, but never a `tf.data.Dataset` or a generator: data sorted by label
(files read class by class, a dataset built by concatenating one class after another) then reaches
the model a class at a time. Each run of steps pulls the model toward one class and the next run
undoes it, so the loss swings and the model forgets.

The batch probe counts, in every training step, the rows of the batch's most common label
(`train_majority` in `callbacks.ImbalanceMonitor`'s epoch counts: those rows, all rows and the
steps). Batches drawn at random from the same labels hold a share of their most common label that
follows from the class proportions and the batch size (`shuffled_majority_share`); batches of one
class hold nearly all of it.

Example:

>>> import numpy as np
>>> counts = [{"train_labels": np.array([180] * 10), "train_majority": np.array([1708, 1800, 57])}]
>>> [(f.kind, round(f.evidence["batch_majority_share"], 2)) for f in detect_unshuffled_batches(counts)]
[('suspicious_config', 0.95)]
"""

import numpy as np

from diagnostics.findings import NEEDS_CONSEQUENCE, Finding

# Batches whose most common label holds this share of their rows or more are (nearly) one class.
UNSHUFFLED_SHARE = 0.8
# ... where shuffled batches of the same labels would hold at most this share: with fewer classes
# or a dominant one, random batches are nearly one class too, and order cannot be told from it.
SHUFFLED_SHARE_LIMIT = 0.6
# Random batches drawn to estimate the shuffled share: its standard error is under 0.005.
SHUFFLE_DRAWS = 2000


def shuffled_majority_share(label_counts, batch_size, seed=0):
    """The expected share of a batch's rows that its most common label holds when the batch is
    drawn at random from labels in the proportions of `label_counts`.

    Args:
        label_counts: rows per class.
        batch_size: rows per batch (the mean batch, rounded).
        seed: the seed of the draws (fixed: the estimate is the same on every machine).

    Returns:
        A float in (0, 1].

    Example:

    >>> round(shuffled_majority_share([100, 100], 2), 1)  # two rows: one class half the time, so 0.75
    0.8
    >>> shuffled_majority_share([100, 0], 32)             # one class only
    1.0
    """
    counts = np.asarray(label_counts, dtype=np.float64)
    size = max(1, int(round(batch_size)))
    draws = np.random.default_rng(seed).multinomial(size, counts / counts.sum(), size=SHUFFLE_DRAWS)
    return float(draws.max(axis=1).mean() / size)


def detect_unshuffled_batches(epoch_counts):
    """A `suspicious_config` when the training batches are (nearly) one class each while batches
    drawn at random from the same labels would mix several: the data come in label order and are
    not shuffled. Marked `NEEDS_CONSEQUENCE`: it stands beside the oscillation, forgetting or stall
    it explains.

    Args:
        epoch_counts: one entry per epoch, None or a dict with `train_labels` (rows per class) and
            `train_majority` (`[rows of each batch's most common label, rows, steps]`).

    Returns:
        list with at most one `Finding`, at the first measured epoch.
    """
    measured = [(epoch, c) for epoch, c in enumerate(epoch_counts)
                if c is not None and c.get("train_majority") is not None and c.get("train_labels") is not None
                and np.asarray(c["train_majority"])[2] > 0]
    if not measured:
        return []
    majority, rows, steps = np.sum([np.asarray(c["train_majority"], dtype=np.int64) for _, c in measured], axis=0)
    labels = np.sum([np.asarray(c["train_labels"], dtype=np.int64) for _, c in measured], axis=0)
    if rows <= 0 or labels.sum() <= 0 or np.count_nonzero(labels) < 2:
        return []
    share, batch = majority / rows, rows / steps
    expected = shuffled_majority_share(labels, batch)
    if share < UNSHUFFLED_SHARE or expected > SHUFFLED_SHARE_LIMIT:
        return []
    return [Finding(
        "suspicious_config", "warning", measured[0][0], None,
        f"The training batches are one class each: a batch's most common label holds {share:.0%} of its rows, "
        f"where batches drawn at random from the same labels would hold {expected:.0%}. The data come in label "
        "order and are not shuffled (fit shuffles arrays, never a tf.data.Dataset or a generator): each run of "
        "steps pulls the model toward one class and the next undoes it.",
        {"batch_majority_share": float(share), "shuffled_majority_share": expected, "batch_size": float(batch),
         NEEDS_CONSEQUENCE: True},
        ["Shuffle before batching: dataset.shuffle(buffer_size=number of rows).batch(...), or shuffle the "
         "files and the generator's order."],
    )]
