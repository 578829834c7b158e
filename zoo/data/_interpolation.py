"""SMOTE's sample generation on device: points on segments between a sample and a neighbour."""

import tensorflow as tf


@tf.function(reduce_retracing=True)
def interpolate(base, neighbour_data, neighbours, n_samples, seed, step_size=1.0, neighbour_weights=None):
    """Draws `n_samples` points x_i + u * (x_nn - x_i), u ~ U[0, step_size).

    Args:
        base: (n_base, n_features) the samples that new points start from.
        neighbour_data: (n_data, n_features) the rows that `neighbours` index.
        neighbours: int (n_base, k) neighbours of each base sample, rows of `neighbour_data`.
        n_samples: number of points to draw.
        seed: stateless seed, int64 tensor of shape [2].
        step_size: upper bound of u.
        neighbour_weights: optional (n_data,) float; u is further multiplied by U[0, w) for a
            neighbour of weight w < 1 (Borderline-SMOTE-2 moves at most half way towards a
            neighbour of another class). None: no extra factor.

    Returns:
        (n_samples, n_features) tensor of the dtype of `base`.
    """
    k = tf.shape(neighbours)[1]
    total = tf.shape(neighbours)[0] * k
    seeds = tf.random.experimental.stateless_split(seed, 3)
    picks = tf.random.stateless_uniform([n_samples], seeds[0], minval=0, maxval=total, dtype=tf.int32)
    rows, columns = picks // k, picks % k
    steps = step_size * tf.random.stateless_uniform([n_samples, 1], seeds[1], dtype=base.dtype)
    starts = tf.gather(base, rows)
    neighbour_rows = tf.gather_nd(neighbours, tf.stack([rows, columns], axis=1))
    if neighbour_weights is not None:
        weights = tf.gather(tf.cast(neighbour_weights, base.dtype), neighbour_rows)[:, None]
        shrink = tf.random.stateless_uniform([n_samples, 1], seeds[2], dtype=base.dtype)
        steps = steps * tf.where(weights < 1, shrink * weights, tf.ones_like(weights))
    ends = tf.gather(neighbour_data, neighbour_rows)
    return starts + steps * (ends - starts)
