"""Losses and class weights for imbalanced classification, all computed from logits.

- `effective_number_class_weights`: class weights by the effective number of samples
  (Cui et al. 2019), a dict ready for `model.fit(class_weight=...)`.
- `LogitAdjustedLoss` / `BalancedSoftmaxLoss`: cross-entropy of logits shifted by tau * log(prior)
  (Menon et al. 2021; balanced softmax is tau = 1).
- `LDAMLoss`: label-distribution-aware margins (Cao et al. 2019), with class weights held in a
  variable so that `callbacks.DeferredReweighting` can switch them on late in training (DRW).

Focal losses are Keras's own: `keras.losses.CategoricalFocalCrossentropy`,
`keras.losses.BinaryFocalCrossentropy`.

Example:

>>> counts = [900, 90, 10]
>>> loss = LogitAdjustedLoss(counts)
>>> model.compile("adam", loss=loss)                      # doctest: +SKIP
"""

import keras
import numpy as np
import tensorflow as tf

from zoo import _validation
from zoo._serialization import register_serializable


def _class_counts(name, counts):
    """Checks per-class sample counts (a sequence or array, every count > 0); returns floats."""
    array = np.asarray(counts.numpy() if tf.is_tensor(counts) else counts)
    if array.ndim != 1 or array.size < 2 or not np.issubdtype(array.dtype, np.number):
        raise ValueError(
            f"`{name}` must be a 1-D sequence of per-class sample counts (at least 2 classes). "
            f"Received: {name}={counts!r}"
        )
    if not np.isfinite(array).all() or (array <= 0).any():
        raise ValueError(
            f"`{name}` must hold finite counts > 0 for every class (a class with no sample gets "
            f"an infinite weight or margin). Received: {name}={counts!r}"
        )
    return array.astype(np.float64)


def effective_number_class_weights(y=None, *, class_counts=None, beta=0.9999, num_classes=None):
    """Class weights (1 - beta) / (1 - beta^n_c), normalised to sum to the number of classes.

    The "effective number" (1 - beta^n) / (1 - beta) of n samples grows like n for small n and
    saturates at 1 / (1 - beta): beta = 0 gives equal weights, beta -> 1 inverse frequency.

    Args:
        y: integer class labels (array or tensor), or None when `class_counts` is given.
        class_counts: per-class sample counts (sequence, or dict {class: count}), instead of `y`.
        beta: in [0, 1).
        num_classes: with `y`, the number of classes (default: max label + 1). Every class
            must occur.

    Returns:
        dict {class: weight}, usable as `model.fit(..., class_weight=...)`.

    Example:

    >>> weights = effective_number_class_weights(class_counts=[1000, 10], beta=0.999)
    >>> weights[1] > weights[0]
    True
    """
    beta = _validation.check_float("beta", beta, minimum=0, maximum=1, max_inclusive=False)
    if (y is None) == (class_counts is None):
        raise ValueError(
            "Exactly one of `y` and `class_counts` must be given. "
            f"Received: y={'None' if y is None else 'labels'}, class_counts={class_counts!r}"
        )
    if y is not None:
        labels = np.asarray(y.numpy() if tf.is_tensor(y) else y)
        if labels.ndim != 1 or not np.issubdtype(labels.dtype, np.integer) or (labels < 0).any():
            raise ValueError(
                "`y` must be a 1-D array of non-negative integer class labels. "
                f"Received: y=array of shape {labels.shape} and dtype {labels.dtype}"
            )
        if num_classes is not None:
            num_classes = _validation.check_int("num_classes", num_classes, minimum=2)
        counts = np.bincount(labels, minlength=num_classes or 0)
        keys = list(range(len(counts)))
        counts = _class_counts("y (class counts)", counts)
    elif isinstance(class_counts, dict):
        keys = list(class_counts)
        counts = _class_counts("class_counts", [class_counts[k] for k in keys])
    else:
        counts = _class_counts("class_counts", class_counts)
        keys = list(range(len(counts)))
    weights = (1.0 - beta) / (1.0 - np.power(beta, counts)) if beta > 0 else np.ones_like(counts)
    weights = weights * len(counts) / weights.sum()
    return {key: float(w) for key, w in zip(keys, weights)}


def _sparse_labels(y_true, num_classes):
    """Integer labels from sparse labels or one-hot rows."""
    y_true = tf.convert_to_tensor(y_true)
    rank = y_true.shape.rank
    if rank is not None and rank > 1 and y_true.shape[-1] == num_classes:
        return tf.argmax(y_true, axis=-1, output_type=tf.int32)
    if rank is not None and rank >= 1 and y_true.shape[-1] == 1:
        y_true = tf.squeeze(y_true, axis=-1)
    return tf.cast(y_true, tf.int32)


@register_serializable(legacy_package="zoo")
class LogitAdjustedLoss(keras.losses.Loss):
    """Cross-entropy on logits + tau * log(class prior) (Menon et al. 2021).

    Training with it makes the argmax of the unadjusted logits estimate the balanced-error
    optimal classifier: predict with the model's plain logits.

    Args:
        class_counts: per-class training counts (or any positive prior, normalised here).
        tau: strength of the adjustment (>= 0); 1 is the balanced softmax.
        reduction, name: as for any Keras loss.

    Labels are integers (sparse) or one-hot rows; predictions are logits (float16 is fine).

    Example:

    >>> loss = LogitAdjustedLoss([900, 100])
    >>> float(loss([0, 1], [[2.0, 0.0], [0.0, 1.0]])) > 0
    True
    """

    def __init__(self, class_counts, tau=1.0, reduction="sum_over_batch_size", name="logit_adjusted_loss"):
        super().__init__(reduction=reduction, name=name)
        counts = _class_counts("class_counts", class_counts)
        self.class_counts = counts.tolist()
        self.tau = _validation.check_float("tau", tau, minimum=0)
        self._log_prior = tf.constant(np.log(counts / counts.sum()), tf.float32)

    def call(self, y_true, y_pred):
        logits = tf.cast(y_pred, tf.float32) + self.tau * self._log_prior
        labels = _sparse_labels(y_true, len(self.class_counts))
        return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)

    def get_config(self):
        return {**super().get_config(), "class_counts": self.class_counts, "tau": self.tau}


@register_serializable(legacy_package="zoo")
class BalancedSoftmaxLoss(LogitAdjustedLoss):
    """Balanced softmax (Ren et al. 2020): `LogitAdjustedLoss` with tau = 1.

    Args:
        class_counts: per-class training counts.
    """

    def __init__(self, class_counts, reduction="sum_over_batch_size", name="balanced_softmax_loss", **kwargs):
        kwargs.pop("tau", None)
        super().__init__(class_counts, tau=1.0, reduction=reduction, name=name)

    def get_config(self):
        config = super().get_config()
        config.pop("tau")
        return config


@register_serializable(legacy_package="zoo")
class LDAMLoss(keras.losses.Loss):
    """Label-distribution-aware margin loss (Cao et al. 2019), from logits.

    The logit of the true class c is lowered by a margin proportional to n_c^(-1/4) (the
    largest margin is `max_margin`), then all logits are multiplied by `scale` before the
    cross-entropy; each sample's loss is multiplied by the weight of its class. Rare classes
    thus need a larger lead to be classified right. For deferred re-weighting (DRW), train with
    equal weights first and switch to effective-number weights later: add
    `callbacks.DeferredReweighting(start_epoch=...)` to `fit`.

    Args:
        class_counts: per-class training counts.
        max_margin: the margin of the rarest class (> 0); Cao et al. use 0.5.
        scale: logit scale s (> 0); Cao et al. use 30 (meant for normalised features).
        class_weights: initial per-class weights (default all 1).
        reduction, name: as for any Keras loss.

    Attributes:
        class_weights: a non-trainable `tf.Variable`; change it with `set_class_weights`.

    Example:

    >>> loss = LDAMLoss([900, 100], scale=1.0)
    >>> float(loss([0, 1], [[2.0, 0.0], [0.0, 1.0]])) > 0
    True
    """

    def __init__(
        self,
        class_counts,
        max_margin=0.5,
        scale=30.0,
        class_weights=None,
        reduction="sum_over_batch_size",
        name="ldam_loss",
    ):
        super().__init__(reduction=reduction, name=name)
        counts = _class_counts("class_counts", class_counts)
        self.class_counts = counts.tolist()
        self.max_margin = _validation.check_float("max_margin", max_margin, minimum=0, min_inclusive=False)
        self.scale = _validation.check_float("scale", scale, minimum=0, min_inclusive=False)
        margins = counts**-0.25
        self._margins = tf.constant(margins * (self.max_margin / margins.max()), tf.float32)
        self.class_weights = tf.Variable(
            np.ones(len(counts), np.float32), trainable=False, name="ldam_class_weights"
        )
        if class_weights is not None:
            self.set_class_weights(class_weights)

    def set_class_weights(self, class_weights):
        """Sets the per-class weights (a sequence, or a dict {class index: weight})."""
        if isinstance(class_weights, dict):
            class_weights = [class_weights.get(c, 1.0) for c in range(len(self.class_counts))]
        weights = np.asarray(class_weights, np.float32)
        if weights.shape != (len(self.class_counts),) or not np.isfinite(weights).all() or (weights < 0).any():
            raise ValueError(
                f"`class_weights` must hold {len(self.class_counts)} finite weights >= 0. "
                f"Received: class_weights={class_weights!r}"
            )
        self.class_weights.assign(weights)

    def call(self, y_true, y_pred):
        logits = tf.cast(y_pred, tf.float32)
        labels = _sparse_labels(y_true, len(self.class_counts))
        true_class = tf.one_hot(labels, len(self.class_counts), dtype=tf.float32)
        shifted = logits - true_class * self._margins
        loss = tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=self.scale * shifted)
        return loss * tf.gather(tf.convert_to_tensor(self.class_weights), labels)

    def get_config(self):
        return {
            **super().get_config(),
            "class_counts": self.class_counts,
            "max_margin": self.max_margin,
            "scale": self.scale,
            "class_weights": self.class_weights.numpy().tolist(),
        }
