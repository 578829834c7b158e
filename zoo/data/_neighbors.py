"""Exact k nearest neighbours with TensorFlow ops, at any offset and scale of the features.

Ranking rows r by |q - r|^2 = |q|^2 - 2 q.r + |r|^2 is one matrix product, but in float32 it
cancels catastrophically when the data sit far from the origin or when the features' scales
differ widely. So the search has three stages, and each query leaves at the first that can
prove its answer:

1. On data centred at the reference's mean, in float32, score every row by 2 q.r - |r|^2 and
   keep the `k + CANDIDATE_MARGIN` best candidates. Re-rank those candidates by their distance
   computed as a difference in float64 (exact to float64 rounding). A rounding-error bound on
   the float32 scores then certifies the answer: when the k-th exact distance is no larger than
   the smallest distance any row left out can have, no row left out is nearer.
2. The queries that stage 1 could not certify repeat it with the scores in float64.
3. What is still uncertified (ties straddling the k-th place beyond the margin, for example) is
   searched by brute force with float64 differences.

The score matrix is never formed whole: at most `max_block_elements` scores are held at once.
Selecting the best scores of a long row with `tf.math.top_k` is slow on a CPU, so stages 1 and
2 cut each row into groups of `GROUP` scores, keep the groups with the largest maxima, and
select among those few. Everything is TensorFlow, so it runs on a GPU when one is present.
"""

import numbers

import numpy as np
import sklearn.base
import tensorflow as tf

from zoo import _validation

# 2**22 scores = 16 MiB per block in float32: large enough for a fast matrix product, small
# enough to stay in a CPU's cache hierarchy while its group maxima are taken.
MAX_BLOCK_ELEMENTS = 2**22
# Scores per group in the two-stage selection (the row is read once to take group maxima).
GROUP = 32
# Candidates kept beyond the k asked for: the gap that lets the error bound certify the answer.
CANDIDATE_MARGIN = 8
# Units of rounding error that bound the float32 (or float64) score of one row, per feature:
# centring (2), the squared norms (1 each) and the (d + 1)-term dot product, doubled for safety.
ERROR_UNITS_PER_FEATURE = 4
ERROR_UNITS_CONSTANT = 8
# TensorFloat-32 matrix products (NVIDIA GPUs, on by default) round their inputs to 10 bits.
TF32_UNIT_ROUNDOFF = 2.0**-10


def kneighbors(queries, reference, k, query_ids=None, max_block_elements=MAX_BLOCK_ELEMENTS):
    """Indices of the `k` nearest rows of `reference` (Euclidean) for every row of `queries`.

    The answer is exact: the k distances returned are the k smallest, as computed in float64
    from the given values. Among rows at exactly the same distance, any may be returned.

    Args:
        queries: numeric tensor or array (n_queries, n_features).
        reference: numeric tensor or array (n_reference, n_features).
        k: number of neighbours, at most `n_reference` (minus one when `query_ids` is given).
        query_ids: optional int (n_queries,): the row of `reference` that each query is, or
            -1. That row is never returned as its own neighbour (duplicates of a point still
            count as its neighbours).
        max_block_elements: bound on the number of scores held at once.

    Returns:
        int32 tensor (n_queries, k), nearest first.

    Example:

    >>> x = tf.constant([[2000.0], [2001.0], [2003.0]])
    >>> kneighbors(x, x, 1, query_ids=tf.range(3)).numpy().ravel().tolist()
    [1, 0, 1]
    """
    queries = tf.cast(tf.convert_to_tensor(queries), tf.float64)
    reference = tf.cast(tf.convert_to_tensor(reference), tf.float64)
    n_queries, n_reference = int(queries.shape[0]), int(reference.shape[0])
    if query_ids is None:
        query_ids = tf.fill([n_queries], -1)
    query_ids = tf.cast(tf.convert_to_tensor(query_ids), tf.int32)
    n_candidates = min(k + CANDIDATE_MARGIN, n_reference - 1 if n_reference > k else n_reference)
    padded = -(-n_reference // GROUP) * GROUP
    block_rows = tf.constant(max(1, int(max_block_elements) // padded))
    n_groups_kept = min(n_candidates + 1, padded // GROUP)
    centre = tf.reduce_mean(reference, axis=0)

    result = np.zeros((n_queries, k), np.int32)
    pending = np.arange(n_queries)
    for dtype in (tf.float32, tf.float64):
        if len(pending) == 0:
            break
        found, certified = _certified_search(
            tf.gather(queries, pending), reference, tf.gather(query_ids, pending), centre, k,
            n_candidates, n_groups_kept, block_rows, dtype, _unit_roundoff(dtype),
        )
        certified = certified.numpy()
        result[pending[certified]] = found.numpy()[certified]
        pending = pending[~certified]
    if len(pending):
        block_rows = tf.constant(max(1, int(max_block_elements) // (n_reference * int(reference.shape[1]) or 1)))
        found = _brute_force(tf.gather(queries, pending), reference, tf.gather(query_ids, pending), k, block_rows)
        result[pending] = found.numpy()
    return tf.constant(result)


def _unit_roundoff(dtype):
    if dtype == tf.float32 and tf.config.list_physical_devices("GPU"):
        if tf.config.experimental.tensor_float_32_execution_enabled():
            return TF32_UNIT_ROUNDOFF
    return float(np.finfo(dtype.as_numpy_dtype).eps)


@tf.function(reduce_retracing=True)
def _certified_search(queries, reference, query_ids, centre, k, n_candidates, n_groups_kept, block_rows,
                      dtype, unit_roundoff):
    """Stages 1 and 2: candidates by scores in `dtype`, exact re-ranking, certification.

    Returns:
        (int32 (n_queries, k) neighbours, bool (n_queries,) certified).
    """
    n_queries = tf.shape(queries)[0]
    n_reference = tf.shape(reference)[0]
    n_features = tf.shape(reference)[1]
    centred_reference = tf.cast(reference - centre, dtype)
    squared_norms = tf.reduce_sum(tf.square(centred_reference), 1, keepdims=True)
    radius = tf.sqrt(tf.reduce_max(squared_norms))
    padding = (-n_reference) % GROUP
    # Augmented reference [r, |r|^2]; padding rows score -1e30 and are never selected.
    pad_rows = tf.concat([tf.zeros([padding, n_features], dtype), tf.fill([padding, 1], tf.cast(1e30, dtype))], 1)
    augmented = tf.concat([tf.concat([centred_reference, squared_norms], 1), pad_rows], 0)
    n_groups = tf.shape(augmented)[0] // GROUP
    error_units = tf.cast(ERROR_UNITS_PER_FEATURE * n_features + ERROR_UNITS_CONSTANT, dtype) * unit_roundoff
    neighbours = tf.TensorArray(tf.int32, size=0, dynamic_size=True, infer_shape=False)
    certified = tf.TensorArray(tf.bool, size=0, dynamic_size=True, infer_shape=False)

    def body(start, index, neighbours, certified):
        stop = tf.minimum(start + block_rows, n_queries)
        exact_block, ids = queries[start:stop], query_ids[start:stop]
        block = tf.cast(exact_block - centre, dtype)
        rows = tf.shape(block)[0]
        weighted = tf.concat([2.0 * block, -tf.ones([rows, 1], dtype)], 1)
        scores = tf.reshape(tf.matmul(weighted, augmented, transpose_b=True), [rows, n_groups, GROUP])
        # n_candidates + 1 groups: at most one of them owes its maximum to the query itself.
        _, groups = tf.math.top_k(tf.reduce_max(scores, axis=2), k=n_groups_kept)
        candidate_scores = tf.reshape(tf.gather(scores, groups, batch_dims=1), [rows, -1])
        candidate_ids = tf.reshape(groups[:, :, None] * GROUP + tf.range(GROUP)[None, None, :], [rows, -1])
        is_self = tf.equal(candidate_ids, ids[:, None])
        candidate_scores = tf.where(is_self, tf.constant(float("-inf"), dtype), candidate_scores)
        best_scores, best = tf.math.top_k(candidate_scores, k=n_candidates, sorted=True)
        best_ids = tf.gather(candidate_ids, best, batch_dims=1)

        exact = tf.reduce_sum(tf.square(exact_block[:, None, :] - tf.gather(reference, best_ids)), axis=2)
        negated, order = tf.math.top_k(-exact, k=k, sorted=True)
        kth_distance = -negated[:, k - 1]
        # Every row left out scores at most the last candidate's score, so its distance is at
        # least |q|^2 - that score, less the rounding error of both.
        query_norm = tf.sqrt(tf.reduce_sum(tf.square(block), 1))
        bound = tf.cast(error_units * tf.square(query_norm + radius), tf.float64)
        left_out_floor = tf.cast(tf.square(query_norm) - best_scores[:, n_candidates - 1], tf.float64) - bound
        covers_all = n_candidates + tf.cast(ids >= 0, tf.int32) >= n_reference
        proven = tf.logical_or(covers_all, kth_distance <= tf.maximum(left_out_floor, 0.0))
        return (
            stop,
            index + 1,
            neighbours.write(index, tf.gather(best_ids, order, batch_dims=1)),
            certified.write(index, proven),
        )

    _, _, neighbours, certified = tf.while_loop(
        lambda start, *_: start < n_queries, body, (0, 0, neighbours, certified)
    )
    return tf.reshape(neighbours.concat(), [n_queries, k]), tf.reshape(certified.concat(), [n_queries])


@tf.function(reduce_retracing=True)
def _brute_force(queries, reference, query_ids, k, block_rows):
    """Stage 3: every distance as a float64 difference, in blocks of `block_rows` queries."""
    n_queries = tf.shape(queries)[0]
    neighbours = tf.TensorArray(tf.int32, size=0, dynamic_size=True, infer_shape=False)

    def body(start, index, neighbours):
        stop = tf.minimum(start + block_rows, n_queries)
        distances = tf.reduce_sum(tf.square(queries[start:stop, None, :] - reference[None]), axis=2)
        is_self = tf.equal(tf.range(tf.shape(reference)[0])[None, :], query_ids[start:stop, None])
        distances = tf.where(is_self, tf.constant(float("inf"), tf.float64), distances)
        _, nearest = tf.math.top_k(-distances, k=k, sorted=True)
        return stop, index + 1, neighbours.write(index, nearest)

    _, _, neighbours = tf.while_loop(lambda start, *_: start < n_queries, body, (0, 0, neighbours))
    return tf.reshape(neighbours.concat(), [n_queries, k])


def neighbour_count(name, neighbors):
    """The number of neighbours that `neighbors` (an int, or a NearestNeighbors-like object) asks for.

    An object follows imbalanced-learn's convention: its `n_neighbors` counts the query itself,
    so it gives `n_neighbors - 1` neighbours.
    """
    if isinstance(neighbors, numbers.Integral) and not isinstance(neighbors, bool):
        return _validation.check_int(name, neighbors, minimum=1)
    if not (hasattr(neighbors, "fit") and hasattr(neighbors, "kneighbors")):
        raise TypeError(
            f"`{name}` must be an int or an object with `fit` and `kneighbors` (such as "
            f"sklearn.neighbors.NearestNeighbors). Received: {name}={neighbors!r}"
        )
    return _validation.check_int(f"{name}.n_neighbors", neighbors.n_neighbors, minimum=2) - 1


def find_neighbours(queries, reference, neighbors, query_ids):
    """Neighbours of `queries` (rows `query_ids` of `reference`) as `neighbors` specifies.

    Args:
        queries, reference, query_ids: as in `kneighbors`; every query is a row of `reference`.
        neighbors: an int k (the exact search above), or a NearestNeighbors-like object, which
            is cloned, fitted on `reference`, and whose first neighbour (the query) is dropped,
            as imbalanced-learn does.

    Returns:
        int array (n_queries, k) of rows of `reference`.
    """
    if isinstance(neighbors, numbers.Integral):
        return kneighbors(queries, reference, neighbors, query_ids=query_ids).numpy()
    estimator = sklearn.base.clone(neighbors).fit(np.asarray(reference))
    return estimator.kneighbors(np.asarray(queries), return_distance=False)[:, 1:]
