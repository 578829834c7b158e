"""Random over-sampling (with an optional smoothed bootstrap) with TensorFlow kernels."""

import numbers

import numpy as np
import tensorflow as tf
from imblearn.over_sampling.base import BaseOverSampler
from sklearn.utils import check_random_state

from zoo import _validation
from zoo.data import _checks
from zoo.data._sampler_base import TensorSamplerMixin, parameter_constraints


class RandomOverSampler(TensorSamplerMixin, BaseOverSampler):
    """Adds copies of randomly drawn samples (with replacement) of the classes to over-sample.

    Args:
        sampling_strategy: as in imbalanced-learn (float, str, dict or callable).
        random_state: None, int or `np.random.RandomState`.
        shrinkage: None (plain copies), or a float >= 0 or dict {class: float}: a smoothed
            bootstrap, as imbalanced-learn 0.14's, that adds Gaussian noise of per-feature scale
            shrinkage * std(class) * (4 / ((d + 2) n)) ** (1 / (d + 4)), where std has ddof=0
            and n is the number of samples of the whole data set.

    Attributes:
        sampling_strategy_: dict {class: number of samples to add}.
        sample_indices_: int array, the index in `X` of every output sample.
        shrinkage_: None, or dict {class: shrinkage factor} of the classes over-sampled.

    Example:

    >>> import numpy as np
    >>> X, y = np.arange(12.0).reshape(6, 2), np.array([0, 0, 0, 0, 1, 1])
    >>> sampler = RandomOverSampler(random_state=0)
    >>> X_res, y_res = sampler.fit_resample(X, y)
    >>> y_res.tolist(), sampler.sample_indices_[:6].tolist()
    ([0, 0, 0, 0, 1, 1, 1, 1], [0, 1, 2, 3, 4, 5])
    """

    _parameter_constraints = parameter_constraints(BaseOverSampler, "shrinkage")

    def __init__(self, *, sampling_strategy="auto", random_state=None, shrinkage=None):
        super().__init__(sampling_strategy=sampling_strategy)
        self.random_state = random_state
        self.shrinkage = shrinkage

    def _fit_resample(self, X, y):
        self.shrinkage_ = self._check_shrinkage()
        seeds = check_random_state(self.random_state)
        data = tf.convert_to_tensor(X)
        picked, new_X = [np.arange(len(y))], []
        for class_label, n_samples in self.sampling_strategy_.items():
            indices = self._class_indices(y, class_label)
            positions = _draw(tf.constant(len(indices)), tf.constant(n_samples), _checks.tf_seed(seeds))
            chosen = tf.gather(indices, positions)
            picked.append(chosen.numpy())
            copies = tf.gather(data, chosen)
            if self.shrinkage_ is not None and self.shrinkage_[class_label] > 0 and n_samples > 0:
                copies = _smooth(
                    copies,
                    tf.gather(data, indices),
                    tf.constant(len(y)),
                    tf.constant(self.shrinkage_[class_label]),
                    _checks.tf_seed(seeds),
                )
            new_X.append(copies.numpy())
        self.sample_indices_ = np.concatenate(picked)
        return np.vstack([X] + new_X), y[self.sample_indices_]

    def _check_shrinkage(self):
        """`shrinkage_` as imbalanced-learn sets it: None, or {class: factor} for the classes to over-sample."""
        if self.shrinkage is None:
            return None
        if isinstance(self.shrinkage, numbers.Real):
            value = _validation.check_float("shrinkage", self.shrinkage, minimum=0)
            return {label: value for label in self.sampling_strategy_}
        if isinstance(self.shrinkage, dict):
            missing = set(self.sampling_strategy_) - set(self.shrinkage)
            if missing:
                raise ValueError(
                    "`shrinkage` must give a value for every class that is over-sampled; "
                    f"missing {sorted(_checks.plain(c) for c in missing)}. Received: shrinkage={self.shrinkage!r}"
                )
            return {label: _validation.check_float("shrinkage", v, minimum=0) for label, v in self.shrinkage.items()}
        raise TypeError(f"`shrinkage` must be None, a float or a dict. Received: shrinkage={self.shrinkage!r}")


@tf.function(reduce_retracing=True)
def _draw(n_class, n_samples, seed):
    return tf.random.stateless_uniform([n_samples], seed, minval=0, maxval=n_class, dtype=tf.int32)


@tf.function(reduce_retracing=True)
def _smooth(copies, X_class, n_samples, shrinkage, seed):
    """Copies plus Gaussian noise of per-feature scale shrinkage * h * std(class), ddof=0.

    h = (4 / ((d + 2) n)) ** (1 / (d + 4)) is the normal-reference bandwidth, with n the number
    of samples of the whole data set (imbalanced-learn 0.14's choice).
    """
    if not copies.dtype.is_floating:
        copies, X_class = tf.cast(copies, tf.float64), tf.cast(X_class, tf.float64)
    dtype = copies.dtype
    n, d = tf.cast(n_samples, dtype), tf.cast(tf.shape(X_class)[1], dtype)
    bandwidth = (4.0 / ((d + 2.0) * n)) ** (1.0 / (d + 4.0))
    noise = tf.random.stateless_normal(tf.shape(copies), seed, dtype=dtype)
    return copies + noise * (tf.math.reduce_std(X_class, axis=0) * bandwidth * tf.cast(shrinkage, dtype))
