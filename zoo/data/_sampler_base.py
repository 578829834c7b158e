"""What every sampler here shares: clear input errors, and tensors in -> tensors out.

The samplers subclass imbalanced-learn's own base classes, so `sampling_strategy` is resolved by
`imblearn.utils.check_sampling_strategy` exactly as imbalanced-learn does, and the samplers drop
into `imblearn.pipeline.Pipeline`.
"""

import numpy as np
import tensorflow as tf

from zoo.data import _checks


class TensorSamplerMixin:
    """Checks `X` and `y` with clear errors and returns tensors when given tensors.

    Put it before the imbalanced-learn base class in the bases.
    """

    def fit_resample(self, X, y, **params):
        """Resamples the data set.

        Args:
            X: features, NumPy array (or array-like, or DataFrame) or tensor of shape
                (n_samples, n_features).
            y: class labels of shape (n_samples,) (or one-hot), array or tensor.

        Returns:
            `(X_resampled, y_resampled)`, tensors if `X` was a tensor, else of the kind given.
        """
        X_is_tensor, y_is_tensor = tf.is_tensor(X), tf.is_tensor(y)
        X_checked, y_checked = _checks.check_X_y(X, y)
        if X_is_tensor or y_is_tensor:
            X_res, y_res = super().fit_resample(X_checked, y_checked, **params)
            X_res = tf.convert_to_tensor(X_res, dtype=X.dtype) if X_is_tensor else X_res
            y_res = tf.convert_to_tensor(y_res, dtype=y.dtype) if y_is_tensor else y_res
            return X_res, y_res
        return super().fit_resample(X, y, **params)

    def _check_X_y(self, X, y, accept_sparse=None):
        # Dense inputs only: the TensorFlow kernels below work on dense matrices.
        return super()._check_X_y(X, y, accept_sparse=False)

    @staticmethod
    def _class_indices(y, class_label):
        return np.flatnonzero(y == class_label)


def parameter_constraints(base, *checked_here):
    """`_parameter_constraints` for a sampler: its imbalanced-learn base's, `random_state` as
    scikit-learn checks it, and `checked_here` left to our own checks (whose messages name the
    argument and its value)."""
    return {
        **base._parameter_constraints,
        **{name: "no_validation" for name in checked_here},
        "random_state": ["random_state"],
    }
