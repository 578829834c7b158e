"""Random under-sampling with TensorFlow kernels."""

import numpy as np
import tensorflow as tf
from imblearn.under_sampling.base import BaseUnderSampler
from sklearn.utils import check_random_state

from zoo import _validation
from zoo.data import _checks
from zoo.data._sampler_base import TensorSamplerMixin, parameter_constraints


class RandomUnderSampler(TensorSamplerMixin, BaseUnderSampler):
    """Keeps a random subset of the samples of the classes to under-sample.

    Args:
        sampling_strategy: as in imbalanced-learn (float, str, dict or callable).
        random_state: None, int or `np.random.RandomState`.
        replacement: draw the kept samples with replacement.

    Attributes:
        sampling_strategy_: dict {class: number of samples to keep}.
        sample_indices_: int array, the index in `X` of every output sample.

    Example:

    >>> import numpy as np
    >>> X, y = np.arange(12.0).reshape(6, 2), np.array([0, 0, 0, 0, 1, 1])
    >>> sampler = RandomUnderSampler(random_state=0)
    >>> X_res, y_res = sampler.fit_resample(X, y)
    >>> y_res.tolist(), bool((X_res == X[sampler.sample_indices_]).all())
    ([0, 0, 1, 1], True)
    """

    _parameter_constraints = parameter_constraints(BaseUnderSampler, "replacement")

    def __init__(self, *, sampling_strategy="auto", random_state=None, replacement=False):
        super().__init__(sampling_strategy=sampling_strategy)
        self.random_state = random_state
        self.replacement = replacement

    def _fit_resample(self, X, y):
        replacement = _validation.check_bool("replacement", self.replacement)
        seeds = check_random_state(self.random_state)
        kept = []
        for class_label in np.unique(y):
            indices = self._class_indices(y, class_label)
            if class_label in self.sampling_strategy_:
                n_keep = self.sampling_strategy_[class_label]
                positions = _draw(tf.constant(len(indices)), tf.constant(n_keep), replacement, _checks.tf_seed(seeds))
                indices = tf.gather(indices, positions).numpy()
            kept.append(indices)
        self.sample_indices_ = np.concatenate(kept)
        return tf.gather(tf.convert_to_tensor(X), self.sample_indices_).numpy(), y[self.sample_indices_]


@tf.function(reduce_retracing=True)
def _draw(n_class, n_keep, replacement, seed):
    if replacement:
        return tf.random.stateless_uniform([n_keep], seed, minval=0, maxval=n_class, dtype=tf.int32)
    return tf.random.experimental.stateless_shuffle(tf.range(n_class), seed)[:n_keep]
