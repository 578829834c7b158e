"""SMOTE (Chawla et al. 2002) with TensorFlow kernels: runs on a GPU when one is present."""

import numpy as np
import tensorflow as tf
from imblearn.over_sampling.base import BaseOverSampler
from sklearn.utils import check_random_state

from zoo.data import _checks
from zoo.data._interpolation import interpolate
from zoo.data._neighbors import find_neighbours, neighbour_count
from zoo.data._sampler_base import TensorSamplerMixin, parameter_constraints


class SMOTE(TensorSamplerMixin, BaseOverSampler):
    """Synthetic Minority Over-sampling TEchnique, with imbalanced-learn's interface.

    Each new sample of class c is x_i + u * (x_j - x_i), with x_i a random sample of class c,
    x_j one of its `k_neighbors` nearest neighbours within class c, u ~ U[0, 1). The
    neighbours are exact (Euclidean, as computed in float64, whatever the features' offset and
    scale), found in memory-bounded blocks with TensorFlow ops; the interpolation also runs in
    TensorFlow. The original samples come first and unchanged.

    Args:
        sampling_strategy: as in imbalanced-learn: float (binary only: minority/majority ratio
            after resampling), str (`"auto"`, `"minority"`, `"not minority"`, `"not majority"`,
            `"all"`), dict {class: target count} or callable y -> dict.
        random_state: None, int or `np.random.RandomState`.
        k_neighbors: number of same-class neighbours to interpolate towards (int >= 1), or a
            NearestNeighbors-like object (with `fit` and `kneighbors`) used instead of the
            built-in search, as imbalanced-learn does: it is cloned and fitted on each class,
            and its `n_neighbors` counts the sample itself.

    Attributes:
        sampling_strategy_: dict {class: number of samples to add}.

    Example:

    >>> import numpy as np
    >>> X, y = np.random.RandomState(0).normal(size=(60, 2)), np.repeat([0, 1], [50, 10])
    >>> X_res, y_res = SMOTE(k_neighbors=3, random_state=0).fit_resample(X, y)
    >>> np.bincount(y_res).tolist(), bool((X_res[:60] == X).all())
    ([50, 50], True)
    """

    _parameter_constraints = parameter_constraints(BaseOverSampler, "k_neighbors")

    def __init__(self, *, sampling_strategy="auto", random_state=None, k_neighbors=5):
        super().__init__(sampling_strategy=sampling_strategy)
        self.random_state = random_state
        self.k_neighbors = k_neighbors

    def _fit_resample(self, X, y):
        k = neighbour_count("k_neighbors", self.k_neighbors)
        data = tf.convert_to_tensor(X if np.issubdtype(X.dtype, np.floating) else X.astype(np.float64))
        new_X, new_y = [], []
        seeds = check_random_state(self.random_state)
        for class_label, n_samples in self.sampling_strategy_.items():
            if n_samples == 0:
                continue
            indices = self._class_indices(y, class_label)
            _checks.check_neighbours_fit(class_label, len(indices), k)
            X_class = tf.gather(data, indices)
            neighbours = find_neighbours(X_class, X_class, self.k_neighbors, np.arange(len(indices)))
            samples = interpolate(X_class, X_class, neighbours, tf.constant(n_samples), _checks.tf_seed(seeds))
            new_X.append(samples.numpy())
            new_y.append(np.full(n_samples, class_label, dtype=y.dtype))
        return stack_resampled(X, y, new_X, new_y)


def stack_resampled(X, y, new_X, new_y):
    """The originals first and unchanged, then the new samples class by class."""
    if not new_X:
        return X.copy(), y.copy()
    return np.vstack([X] + [part.astype(X.dtype) for part in new_X]), np.concatenate([y] + new_y)
