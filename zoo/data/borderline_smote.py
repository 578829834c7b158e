"""Borderline-SMOTE (Han et al. 2005) with TensorFlow kernels."""

import numpy as np
import tensorflow as tf
from imblearn.over_sampling.base import BaseOverSampler
from sklearn.utils import check_random_state

from zoo import _validation
from zoo.data import _checks
from zoo.data._interpolation import interpolate
from zoo.data._neighbors import find_neighbours, neighbour_count
from zoo.data._sampler_base import TensorSamplerMixin, parameter_constraints
from zoo.data.smote import stack_resampled


class BorderlineSMOTE(TensorSamplerMixin, BaseOverSampler):
    """SMOTE from the samples "in danger" only: those near the class border.

    A sample of class c is in danger when at least half, but not all, of its `m_neighbors`
    nearest neighbours in the whole data set belong to other classes. New samples start from
    those: `"borderline-1"` interpolates towards one of the `k_neighbors` nearest samples of
    class c; `"borderline-2"` towards one of the `k_neighbors` nearest samples of any class,
    at most half way when it belongs to another class. A class with no sample in danger gets
    no new samples (as in imbalanced-learn).

    Args:
        sampling_strategy: as in imbalanced-learn (float, str, dict or callable).
        random_state: None, int or `np.random.RandomState`.
        k_neighbors: neighbours to interpolate towards (int >= 1), or a NearestNeighbors-like
            object (with `fit` and `kneighbors`; its `n_neighbors` counts the sample itself, as
            in imbalanced-learn).
        m_neighbors: neighbours that decide whether a sample is in danger (int >= 1), or a
            NearestNeighbors-like object, as `k_neighbors`.
        kind: `"borderline-1"` or `"borderline-2"`.

    Attributes:
        sampling_strategy_: dict {class: number of samples to add}.
        in_danger_indices: dict {class: indices (into `X`) of its samples in danger}.

    Example:

    >>> X_res, y_res = BorderlineSMOTE(random_state=0).fit_resample(X, y)   # doctest: +SKIP
    """

    _parameter_constraints = parameter_constraints(BaseOverSampler, "k_neighbors", "m_neighbors", "kind")

    def __init__(
        self,
        *,
        sampling_strategy="auto",
        random_state=None,
        k_neighbors=5,
        m_neighbors=10,
        kind="borderline-1",
    ):
        super().__init__(sampling_strategy=sampling_strategy)
        self.random_state = random_state
        self.k_neighbors = k_neighbors
        self.m_neighbors = m_neighbors
        self.kind = kind

    def _fit_resample(self, X, y):
        k = neighbour_count("k_neighbors", self.k_neighbors)
        m = neighbour_count("m_neighbors", self.m_neighbors)
        _validation.check_choice("kind", self.kind, ("borderline-1", "borderline-2"))
        _checks.check_neighbours_fit("(all classes together)", len(y), m, name="m_neighbors")
        data = tf.convert_to_tensor(X if np.issubdtype(X.dtype, np.floating) else X.astype(np.float64))
        seeds = check_random_state(self.random_state)
        self.in_danger_indices = {}
        new_X, new_y = [], []
        for class_label, n_samples in self.sampling_strategy_.items():
            if n_samples == 0:
                continue
            indices = self._class_indices(y, class_label)
            X_class = tf.gather(data, indices)
            neighbours = find_neighbours(X_class, data, self.m_neighbors, indices)
            n_other = np.sum(y[neighbours] != class_label, axis=1)
            in_danger = (n_other >= m / 2) & (n_other < m)
            if not in_danger.any():
                continue
            self.in_danger_indices[class_label] = indices[in_danger]
            X_danger = tf.gather(X_class, np.flatnonzero(in_danger))
            seed = _checks.tf_seed(seeds)
            if self.kind == "borderline-1":
                _checks.check_neighbours_fit(class_label, len(indices), k)
                nn = find_neighbours(X_danger, X_class, self.k_neighbors, np.flatnonzero(in_danger))
                samples = interpolate(X_danger, X_class, nn, tf.constant(n_samples), seed)
            else:
                _checks.check_neighbours_fit("(all classes together)", len(y), k)
                nn = find_neighbours(X_danger, data, self.k_neighbors, indices[in_danger])
                weights = np.where(y == class_label, 1.0, 0.5)
                samples = interpolate(X_danger, data, nn, tf.constant(n_samples), seed, neighbour_weights=weights)
            new_X.append(samples.numpy())
            new_y.append(np.full(n_samples, class_label, dtype=y.dtype))
        return stack_resampled(X, y, new_X, new_y)
