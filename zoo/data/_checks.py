"""Input checks shared by the samplers and `balanced_dataset`.

Each check raises `ValueError` or `TypeError` naming the argument and ending with
`Received: name=value`, so that bad data never disappears silently inside a sampler.
"""

import numpy as np
import tensorflow as tf
from sklearn.utils import check_random_state
from sklearn.utils.multiclass import type_of_target


def _describe(array):
    return f"array of shape {array.shape} and dtype {array.dtype}"


def plain(value):
    """A NumPy scalar as the Python value it holds (for readable messages)."""
    return value.item() if isinstance(value, np.generic) else value


def to_numpy(value):
    """Returns `value` as a NumPy array (tensors are read back, array-likes converted)."""
    if tf.is_tensor(value):
        return value.numpy()
    return np.asarray(value)


def check_features(X, name="X"):
    """Checks a 2-D numeric feature matrix with finite entries; returns it as a NumPy array."""
    array = to_numpy(X)
    if array.ndim != 2:
        raise ValueError(
            f"`{name}` must be a 2-D array of shape (n_samples, n_features). "
            f"Received: {name}={_describe(array)}"
        )
    if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise TypeError(f"`{name}` must hold numbers. Received: {name}={_describe(array)}")
    if np.issubdtype(array.dtype, np.floating):
        bad = ~np.isfinite(array)
        if bad.any():
            row, column = np.argwhere(bad)[0]
            raise ValueError(
                f"`{name}` must contain only finite values, but {int(bad.sum())} entries are NaN or "
                f"inf (the first at row {row}, column {column}: {array[row, column]}). "
                f"Received: {name}={_describe(array)}"
            )
    return array


def check_labels(y, n_samples=None, name="y", min_classes=2):
    """Checks class labels: 1-D (or one-hot), not continuous, not multi-label, matching `n_samples`.

    Returns the labels as a NumPy array (one-hot rows are accepted and left as they are, like
    imbalanced-learn).
    """
    array = to_numpy(y)
    if n_samples is not None and (array.ndim == 0 or array.shape[0] != n_samples):
        raise ValueError(
            f"`{name}` must have one label per sample of `X` ({n_samples} samples). "
            f"Received: {name}={_describe(array)}"
        )
    if array.ndim == 0 or array.shape[0] == 0:
        raise ValueError(f"`{name}` must not be empty. Received: {name}={_describe(array)}")
    kind = type_of_target(array)
    if kind == "multilabel-indicator":
        if not np.all(array.sum(axis=1) == 1):
            raise ValueError(
                f"`{name}` must hold one class per sample; multi-label targets (rows with several "
                f"or no 1s) are not supported. Received: {name}={_describe(array)}"
            )
        classes = np.arange(array.shape[1])[array.sum(axis=0) > 0]
    elif kind in ("binary", "multiclass"):
        if array.ndim != 1:
            array = array.reshape(-1) if array.ndim == 2 and array.shape[1] == 1 else array
        if array.ndim != 1:
            raise ValueError(
                f"`{name}` must be a 1-D array of class labels. Received: {name}={_describe(array)}"
            )
        classes = np.unique(array)
    else:
        raise ValueError(
            f"`{name}` must hold class labels (integers or strings); its target type is {kind!r} "
            "(float or multi-output targets are not supported). "
            f"Received: {name}={_describe(array)}"
        )
    if len(classes) < min_classes:
        raise ValueError(
            f"`{name}` must contain at least {min_classes} classes to resample; it has "
            f"{len(classes)} ({[plain(c) for c in classes]}). Received: {name}={_describe(array)}"
        )
    return array


def check_X_y(X, y):
    """Checks features and labels together; returns both as NumPy arrays."""
    X = check_features(X)
    y = check_labels(y, n_samples=X.shape[0])
    return X, y


def check_neighbours_fit(class_label, count, k_neighbors, name="k_neighbors"):
    """A class needs `k_neighbors + 1` samples to find `k_neighbors` neighbours of each sample."""
    if count < k_neighbors + 1:
        raise ValueError(
            f"`{name}` must be smaller than the number of samples of every class that is "
            f"over-sampled: class {plain(class_label)!r} has {count} sample(s), which needs "
            f"{name} <= {count - 1}. Received: {name}={k_neighbors}"
        )


def tf_seed(random_state):
    """Draws a stateless TensorFlow seed (shape [2], int64) from a NumPy RandomState.

    `random_state` is anything `sklearn.utils.check_random_state` accepts; a `RandomState` is
    advanced, so consecutive calls give different seeds.
    """
    rng = check_random_state(random_state)
    return tf.constant(rng.randint(0, 2**31 - 1, size=2), dtype=tf.int64)
