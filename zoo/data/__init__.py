"""Imbalance-aware data: samplers with imbalanced-learn's interface computed with TensorFlow ops,
and class-balanced `tf.data` pipelines.

Example:

>>> from zoo.data import SMOTE
>>> X_res, y_res = SMOTE(random_state=0).fit_resample(X, y)   # doctest: +SKIP
"""

from zoo.data.balanced_dataset import balanced_dataset
from zoo.data.borderline_smote import BorderlineSMOTE
from zoo.data.random_over_sampler import RandomOverSampler
from zoo.data.random_under_sampler import RandomUnderSampler
from zoo.data.smote import SMOTE

__all__ = ["balanced_dataset", "BorderlineSMOTE", "RandomOverSampler", "RandomUnderSampler", "SMOTE"]
