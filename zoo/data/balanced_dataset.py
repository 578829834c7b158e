"""`balanced_dataset`: class-balanced (or any target distribution) batches as a `tf.data.Dataset`.

Every batch holds floor(p_c * batch_size) samples of each class c, and the few remaining slots
are drawn at random with the leftover fractions, so the target proportions hold within every
batch, not only on average. Each class is its own stream, shuffled and repeated: a minority
class is over-sampled by cycling through it, every sample once per pass.

From arrays, a class stream is a cursor over random permutations of the class's indices (one
vectorised argsort per pass over the class), advanced by `Dataset.scan` steps that each make a
few dozen batches of indices at once; a batch is then gathered with one `tf.gather`, in the
graph, with no per-sample work. From a `tf.data.Dataset`, each class
stream filters the source and `choose_from_datasets` interleaves them. Everything is reshuffled
on every pass (every epoch of `model.fit`) and deterministic given `seed`.
"""

import math

import numpy as np
import tensorflow as tf

from zoo import _validation
from zoo.data import _checks
from zoo.data._neighbors import kneighbors


def balanced_dataset(
    x,
    y=None,
    *,
    batch_size=32,
    target_distribution="balanced",
    steps_per_epoch=None,
    seed=None,
    smote_fraction=0.0,
    k_neighbors=5,
    shuffle_buffer=10_000,
):
    """A `tf.data.Dataset` of `(features, labels)` batches with the given class proportions.

    Args:
        x: features, a NumPy array or tensor with samples on the first axis; or a
            `tf.data.Dataset` of unbatched `(features, label)` elements (then `y` must be None).
        y: integer class labels, shape (n_samples,), when `x` is an array.
        batch_size: samples per batch (int >= 1).
        target_distribution: `"balanced"` (equal shares of the classes present), or a dict
            {class: weight} (weights >= 0, normalised; classes not named get weight 0).
        steps_per_epoch: batches per epoch: the cardinality of the dataset returned. Default:
            ceil(n_samples / batch_size), as many steps as one pass over the unbalanced data.
        seed: int for a deterministic pipeline (still reshuffled on every epoch), or None.
        smote_fraction: in [0, 1]; the share of samples of over-sampled classes (those whose
            target share exceeds their share of the data) that are replaced, inside the graph,
            by a SMOTE point between the sample and one of its `k_neighbors` nearest
            same-class neighbours. Arrays of floats only.
        k_neighbors: neighbours for `smote_fraction` > 0.
        shuffle_buffer: shuffle buffer of each class stream when `x` is a dataset (arrays are
            shuffled fully).

    Returns:
        A finite `tf.data.Dataset` of `steps_per_epoch` batches, ready for
        `model.fit(dataset, epochs=...)`: Keras reads the number of steps from
        `dataset.cardinality()` and starts a new, reshuffled pass every epoch.

    Example:

    >>> ds = balanced_dataset(x_train, y_train, batch_size=64, seed=0)   # doctest: +SKIP
    >>> int(ds.cardinality())                                            # doctest: +SKIP
    >>> model.fit(ds, epochs=5)                                          # doctest: +SKIP
    """
    batch_size = _validation.check_int("batch_size", batch_size, minimum=1)
    smote_fraction = _validation.check_float("smote_fraction", smote_fraction, minimum=0, maximum=1)
    if seed is not None:
        seed = _validation.check_int("seed", seed, minimum=0)
    seeds = np.random.RandomState(seed)
    if isinstance(x, tf.data.Dataset):
        if y is not None:
            raise ValueError(
                "`y` must be None when `x` is a tf.data.Dataset of (features, label) elements. "
                f"Received: y={type(y).__name__}"
            )
        if smote_fraction > 0:
            raise ValueError(
                "`smote_fraction` needs the samples as arrays (to find neighbours); "
                f"it must be 0 when `x` is a tf.data.Dataset. Received: smote_fraction={smote_fraction}"
            )
        labels = _dataset_labels(x)
        streams, classes, counts = _dataset_streams(x, labels, shuffle_buffer, seeds)
        gather = None
    else:
        features, labels = _array_inputs(x, y)
        classes, counts = np.unique(labels, return_counts=True)
        streams = None
        gather = (tf.convert_to_tensor(features), tf.convert_to_tensor(labels))
    probabilities = _target_probabilities(target_distribution, classes, counts)
    if steps_per_epoch is None:
        steps_per_epoch = math.ceil(int(counts.sum()) / batch_size)
    steps_per_epoch = _validation.check_int("steps_per_epoch", steps_per_epoch, minimum=1)

    if gather is None:
        choices = _choice_stream(probabilities, batch_size, _draw_seed(seeds))
        dataset = tf.data.Dataset.choose_from_datasets(streams, choices).batch(batch_size, drop_remainder=True)
    else:
        dataset = _array_batches(gather, labels, classes, counts, probabilities, batch_size, seeds)
        dataset = _gather_batches(dataset, gather, classes, counts, probabilities, smote_fraction, k_neighbors, seeds)
        dataset = dataset.unbatch()  # blocks of batches -> batches
    return dataset.take(steps_per_epoch).prefetch(tf.data.AUTOTUNE)


def _array_inputs(x, y):
    if y is None:
        raise ValueError("`y` (the class labels) is required when `x` is an array. Received: y=None")
    features = _checks.to_numpy(x)
    if features.ndim < 1 or features.shape[0] == 0:
        raise ValueError(f"`x` must hold samples on its first axis. Received: x=array of shape {features.shape}")
    if np.issubdtype(features.dtype, np.floating) and not np.isfinite(features).all():
        bad = int((~np.isfinite(features)).sum())
        raise ValueError(
            f"`x` must contain only finite values, but {bad} entries are NaN or inf. "
            f"Received: x=array of shape {features.shape}"
        )
    labels = _checks.check_labels(y, n_samples=features.shape[0], min_classes=1)
    if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            "`y` must be a 1-D array of integer class labels (not one-hot). "
            f"Received: y=array of shape {labels.shape} and dtype {labels.dtype}"
        )
    return features, labels


def _dataset_labels(dataset):
    spec = dataset.element_spec
    if not (isinstance(spec, tuple) and len(spec) >= 2 and spec[1].shape.rank == 0 and spec[1].dtype.is_integer):
        raise ValueError(
            "`x` must be a dataset of unbatched (features, label) elements with scalar integer labels. "
            f"Received: x with element_spec={spec}"
        )
    return np.fromiter(dataset.map(lambda *element: element[1]).as_numpy_iterator(), dtype=np.int64)


def _dataset_streams(dataset, labels, shuffle_buffer, seeds):
    shuffle_buffer = _validation.check_int("shuffle_buffer", shuffle_buffer, minimum=1)
    classes, counts = np.unique(labels, return_counts=True)
    streams = [
        dataset.filter(lambda *element, c=c: tf.equal(tf.cast(element[1], tf.int64), c))
        .shuffle(shuffle_buffer, seed=_draw_seed(seeds), reshuffle_each_iteration=True)
        .repeat()
        for c in classes
    ]
    return streams, classes, counts


def _draw_seed(seeds):
    return int(seeds.randint(0, 2**31 - 1))


def _target_probabilities(target_distribution, classes, counts):
    if isinstance(target_distribution, str) and target_distribution == "balanced":
        return np.full(len(classes), 1.0 / len(classes))
    if not isinstance(target_distribution, dict):
        raise TypeError(
            "`target_distribution` must be 'balanced' or a dict {class: weight}. "
            f"Received: target_distribution={target_distribution!r}"
        )
    unknown = [c for c in target_distribution if c not in set(classes.tolist())]
    weights = np.array([float(target_distribution.get(c, 0.0)) for c in classes.tolist()])
    if unknown or (weights < 0).any() or not np.isfinite(weights).all() or weights.sum() <= 0:
        raise ValueError(
            "`target_distribution` must map classes present in the labels "
            f"({classes.tolist()}) to finite weights >= 0, not all 0. "
            f"Received: target_distribution={target_distribution!r}"
        )
    return weights / weights.sum()


def _choice_stream(probabilities, batch_size, seed):
    """Stream of stream indices, `batch_size` per batch: floor(p * batch_size) of each class, the
    leftover slots drawn with the leftover fractions, in random order."""
    fixed, leftover, log_residual = _split_counts(probabilities, batch_size)
    log_residual = tf.constant(log_residual[None, :], tf.float32)
    fixed_choices = tf.constant(np.repeat(np.arange(len(probabilities)), fixed), tf.int64)

    def one_batch(pair):
        pair_seeds = tf.random.experimental.stateless_split(pair, 2)
        choices = fixed_choices
        if leftover > 0:
            extra = tf.random.stateless_categorical(log_residual, leftover, pair_seeds[0], dtype=tf.int64)[0]
            choices = tf.concat([choices, extra], axis=0)
        # Mixed order within the batch, so that slices of it (one per replica) are balanced too.
        order = tf.argsort(tf.random.stateless_uniform([batch_size], pair_seeds[1]))
        return tf.gather(choices, order)

    return (
        tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True)
        .batch(2)
        .map(one_batch)
        .unbatch()
    )


def _split_counts(probabilities, batch_size):
    """floor(p * batch_size) fixed slots per class, the leftover slot count and log-fractions."""
    expected = probabilities * batch_size
    fixed = np.floor(expected + 1e-9).astype(np.int64)
    with np.errstate(divide="ignore"):  # log(0) = -inf: a class with no leftover share
        log_residual = np.log(np.maximum(expected - fixed, 0.0))
    return fixed, int(batch_size - fixed.sum()), log_residual


# Index batches are made this many at a time: one scan step costs a few dozen small ops, which
# would otherwise dominate the time per batch.
BATCHES_PER_STEP = 32


def _array_batches(arrays, labels, classes, counts, probabilities, batch_size, seeds):
    """Dataset of blocks of `BATCHES_PER_STEP` index batches (int64, [m, batch_size])."""
    fixed, leftover, log_residual = _split_counts(probabilities, batch_size)
    grouped = np.argsort(labels, kind="stable")  # indices grouped by class, in `classes` order
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    m = BATCHES_PER_STEP
    streams = [
        (_PermutationCursor(grouped[start : start + count], int(per_batch) * m), int(per_batch))
        for start, count, per_batch in zip(starts, counts, fixed)
        if per_batch > 0
    ]
    grouped, starts, counts = (tf.constant(a, tf.int64) for a in (grouped, starts, counts))
    log_residual = tf.constant(log_residual[None, :], tf.float32)

    def next_batches(state, pair):
        pair_seeds = tf.random.experimental.stateless_split(pair, 3 + len(streams))
        parts, new_state = [], []
        for (stream, per_batch), stream_state, stream_seed in zip(streams, state, tf.unstack(pair_seeds[3:])):
            part, stream_state = stream.take(stream_state, stream_seed)
            parts.append(tf.reshape(part, [m, per_batch]))
            new_state.append(stream_state)
        if leftover > 0:
            # Leftover slots: a class drawn with the leftover fractions, a sample of it at random.
            extra = tf.random.stateless_categorical(log_residual, m * leftover, pair_seeds[0], dtype=tf.int64)[0]
            u = tf.random.stateless_uniform([m * leftover], pair_seeds[1], dtype=tf.float64)
            offset = tf.cast(tf.floor(u * tf.cast(tf.gather(counts, extra), tf.float64)), tf.int64)
            parts.append(tf.reshape(tf.gather(grouped, tf.gather(starts, extra) + offset), [m, leftover]))
        batches = tf.concat(parts, axis=1)
        # Mixed order within each batch, so that slices of it (one per replica) are balanced too.
        order = tf.argsort(tf.random.stateless_uniform([m, batch_size], pair_seeds[2]), axis=1)
        return tuple(new_state), tf.gather(batches, order, batch_dims=1)

    pairs = tf.data.Dataset.random(seed=_draw_seed(seeds), rerandomize_each_iteration=True).batch(2)
    return pairs.scan(tuple(stream.initial_state() for stream, _ in streams), next_batches)


class _PermutationCursor:
    """One class's indices as an endless sequence of random permutations, read `per_step` at a time.

    The state is (current permutation, position); a new permutation is drawn (one vectorised
    argsort) only when the current one runs out, so a step costs O(per_step). For a class
    smaller than `per_step`, a "permutation" is several independent permutations back to back.
    """

    def __init__(self, indices, per_step):
        self.per_step = per_step
        copies = max(1, -(-per_step // len(indices)))
        self.indices = tf.constant(np.tile(indices, copies), tf.int64)
        self.length = len(indices) * copies
        self.class_size = len(indices)

    def initial_state(self):
        return (tf.zeros([self.length], tf.int64), tf.constant(self.length, tf.int64))

    def _permutation(self, seed):
        if self.length == self.class_size:
            return tf.random.experimental.stateless_shuffle(self.indices, seed)
        # Several copies of a small class: shuffle each copy on its own, so that every sample
        # appears once per copy.
        keys = tf.random.stateless_uniform([self.length], seed)
        keys = keys + tf.cast(tf.range(self.length) // self.class_size, tf.float32)
        return tf.gather(self.indices, tf.argsort(keys))

    def take(self, state, seed):
        permutation, position = state
        end = position + self.per_step

        def within():
            return permutation[position:end], (permutation, end)

        def refill():
            fresh = self._permutation(seed)
            rest = end - self.length
            return tf.concat([permutation[position:], fresh[:rest]], 0), (fresh, rest)

        part, state = tf.cond(end <= self.length, within, refill)
        return tf.ensure_shape(part, [self.per_step]), state


def _gather_batches(dataset, arrays, classes, counts, probabilities, smote_fraction, k_neighbors, seeds):
    """Maps blocks of index batches [m, batch_size] to blocks of (features, labels) batches."""
    features, labels = arrays
    if smote_fraction == 0:
        return dataset.map(
            lambda index: (tf.gather(features, index), tf.gather(labels, index)),
            num_parallel_calls=tf.data.AUTOTUNE,
            deterministic=True,
        )
    if not features.dtype.is_floating:
        raise TypeError(
            f"`x` must hold floats when `smote_fraction` > 0. Received: x with dtype {features.dtype.name}"
        )
    neighbours, synthesise = _neighbour_table(features, labels.numpy(), classes, counts, probabilities, k_neighbors)
    flat = tf.reshape(features, [tf.shape(features)[0], -1])

    def smote_batch(block, pair):
        index = tf.reshape(block, [-1])  # a block of batches, flattened
        rows = tf.shape(index)[0]
        pair_seeds = tf.random.experimental.stateless_split(pair, 3)
        replace = tf.gather(synthesise, index) & (
            tf.random.stateless_uniform([rows], pair_seeds[0]) < smote_fraction
        )
        column = tf.random.stateless_uniform([rows], pair_seeds[1], maxval=k_neighbors, dtype=tf.int32)
        partner = tf.gather_nd(neighbours, tf.stack([tf.cast(index, tf.int32), column], axis=1))
        start, end = tf.gather(flat, index), tf.gather(flat, partner)
        step = tf.random.stateless_uniform([rows, 1], pair_seeds[2], dtype=flat.dtype)
        step = step * tf.cast(replace, flat.dtype)[:, None]
        batch = tf.reshape(start + step * (end - start), tf.concat([tf.shape(block), tf.shape(features)[1:]], 0))
        return batch, tf.gather(labels, block)

    pairs = tf.data.Dataset.random(seed=_draw_seed(seeds), rerandomize_each_iteration=True).batch(2)
    return tf.data.Dataset.zip(dataset, pairs).map(
        smote_batch, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True
    )


def _neighbour_table(features, labels, classes, counts, probabilities, k_neighbors):
    """(n, k) global indices of same-class neighbours, and which samples may be synthesised."""
    k_neighbors = _validation.check_int("k_neighbors", k_neighbors, minimum=1)
    n = len(labels)
    flat = tf.reshape(features, [n, -1])
    table = np.tile(np.arange(n, dtype=np.int32)[:, None], (1, k_neighbors))
    synthesise = np.zeros(n, dtype=bool)
    for c, count, p in zip(classes, counts, probabilities):
        if p <= count / n:
            continue
        _checks.check_neighbours_fit(c, count, k_neighbors)
        indices = np.flatnonzero(labels == c)
        local = kneighbors(tf.gather(flat, indices), tf.gather(flat, indices), k_neighbors, query_ids=tf.range(count))
        table[indices] = indices[local.numpy()]
        synthesise[indices] = True
    return tf.constant(table), tf.constant(synthesise)
