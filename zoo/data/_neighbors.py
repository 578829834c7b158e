"""Exact k nearest neighbours with TensorFlow ops, in memory-bounded blocks.

For a block of queries q, the rows r of the reference are ranked by the score
2 q.r - |r|^2 = |q|^2 - |q - r|^2 (largest = nearest), computed as one matrix product of
[2q, -1] and [r, |r|^2]. At most `max_block_elements` scores are held at once: the n x n
distance matrix is never formed.

Selecting the k largest scores of a long row with `tf.math.top_k` is slow on a CPU, so the
selection has two stages: the row is cut into groups of `GROUP` scores, the k + 1 groups with
the largest maxima are kept (every one of the k + 1 largest scores lies in one of them, up to
exact ties), and the k + 1 best of those few candidates are taken; the query itself is then
dropped. Everything is one `tf.function`, so it runs on a GPU when one is present.
"""

import tensorflow as tf

# 2**24 scores = 64 MiB per block in float32.
MAX_BLOCK_ELEMENTS = 2**24
GROUP = 32


def kneighbors(queries, reference, k, query_ids=None, max_block_elements=MAX_BLOCK_ELEMENTS):
    """Indices of the `k` nearest rows of `reference` for every row of `queries`.

    Args:
        queries: float tensor (n_queries, n_features).
        reference: float tensor (n_reference, n_features), same dtype.
        k: number of neighbours, at most `n_reference` (minus one when `query_ids` is given).
        query_ids: optional int tensor (n_queries,): the row of `reference` that each query is,
            or -1. That row is never returned as its own neighbour (duplicates of a point still
            count as its neighbours).
        max_block_elements: bound on the number of scores held at once.

    Returns:
        int32 tensor (n_queries, k), nearest first.

    Example:

    >>> x = tf.constant([[0.0], [1.0], [3.0]])
    >>> kneighbors(x, x, 1, query_ids=tf.range(3)).numpy().ravel().tolist()
    [1, 0, 1]
    """
    queries = tf.convert_to_tensor(queries)
    if not queries.dtype.is_floating:
        queries = tf.cast(queries, tf.float32)
    reference = tf.cast(tf.convert_to_tensor(reference), queries.dtype)
    n_reference = int(reference.shape[0])
    if query_ids is None:
        query_ids = tf.fill([tf.shape(queries)[0]], -1)
    query_ids = tf.cast(query_ids, tf.int32)
    padded = -(-n_reference // GROUP) * GROUP
    block_rows = max(1, int(max_block_elements) // padded)
    n_groups_kept = min(k + 1, padded // GROUP)
    return _kneighbors_blocks(
        queries, reference, query_ids, k, n_groups_kept, tf.constant(block_rows)
    )


@tf.function(reduce_retracing=True)
def _kneighbors_blocks(queries, reference, query_ids, k, n_groups_kept, block_rows):
    n_queries = tf.shape(queries)[0]
    n_reference = tf.shape(reference)[0]
    dtype = reference.dtype
    padding = (-n_reference) % GROUP
    # Augmented reference [r, |r|^2]; padding rows score -1e30 and are never selected.
    augmented = tf.concat([reference, tf.reduce_sum(tf.square(reference), 1, keepdims=True)], 1)
    pad_rows = tf.concat(
        [tf.zeros([padding, tf.shape(reference)[1]], dtype), tf.fill([padding, 1], tf.cast(1e30, dtype))], 1
    )
    augmented = tf.concat([augmented, pad_rows], 0)
    n_groups = tf.shape(augmented)[0] // GROUP
    result = tf.TensorArray(tf.int32, size=0, dynamic_size=True, infer_shape=False)

    def body(start, index, result):
        stop = tf.minimum(start + block_rows, n_queries)
        block = queries[start:stop]
        rows = tf.shape(block)[0]
        block = tf.concat([2.0 * block, -tf.ones([rows, 1], dtype)], 1)
        scores = tf.reshape(tf.matmul(block, augmented, transpose_b=True), [rows, n_groups, GROUP])
        _, groups = tf.math.top_k(tf.reduce_max(scores, axis=2), k=n_groups_kept)
        candidates = tf.reshape(tf.gather(scores, groups, batch_dims=1), [rows, -1])
        candidate_ids = tf.reshape(groups[:, :, None] * GROUP + tf.range(GROUP)[None, None, :], [rows, -1])
        is_self = tf.equal(candidate_ids, query_ids[start:stop, None])
        candidates = tf.where(is_self, tf.constant(float("-inf"), dtype), candidates)
        _, best = tf.math.top_k(candidates, k=k, sorted=True)
        return stop, index + 1, result.write(index, tf.gather(candidate_ids, best, batch_dims=1))

    _, _, result = tf.while_loop(
        lambda start, index, result: start < n_queries, body, (0, 0, result)
    )
    return tf.reshape(result.concat(), [n_queries, k])
