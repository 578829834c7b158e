"""Constructor arguments of the callbacks: checked against a constraint table, as the builders'
are (`zoo._validation`), and kept as attributes of the same name.

Every constructor in `callbacks/` declares one table that names each of its arguments, and
passes all of them to `keep_checked`. The constraints here add to `zoo._validation`'s what
callbacks take and builders do not: paths, data, losses, other callbacks, a verbosity level.
A refusal is a `ValueError` or `TypeError` that names the argument and ends with the Keras
convention `Received: name=value`.

Example:

>>> from zoo._validation import Integer
>>> class Monitor:
...     def __init__(self, window=3):
...         keep_checked(self, {"window": Integer(minimum=1)}, window=window)
>>> Monitor(window=0)
Traceback (most recent call last):
    ...
zoo._validation.ArgumentValueError: `window` must be an integer >= 1. Received: window=0
"""

import numbers
import os

import keras
import tensorflow as tf

from zoo._validation import Constraint, Invalid, validate


def keep_checked(callback, constraints, **arguments):
    """Checks `arguments` against `constraints` and sets each checked value on `callback`.

    Args:
        callback: the object being constructed.
        constraints: `{argument name: zoo._validation.Constraint}`, one entry per argument.
        **arguments: every argument of the constructor, as the caller passed it.

    Raises:
        TypeError: the table and the arguments do not name the same arguments (a table that
            leaves one out would leave it unchecked).
    """
    if set(constraints) != set(arguments):
        raise TypeError(
            f"The constraints of {type(callback).__name__} must name exactly its arguments. "
            f"Received: constraints={sorted(constraints)}"
        )
    for name, value in validate(constraints, arguments).items():
        setattr(callback, name, value)


class Verbosity(Constraint):
    """A verbosity level: an integer in [0, `maximum`] or a bool (as `False`/`True` = 0/1);
    returned as `int`."""

    def __init__(self, maximum=1):
        self.maximum = maximum

    def check(self, value):
        if not isinstance(value, numbers.Integral):
            raise Invalid(f"must be an integer from 0 to {self.maximum}", type_error=True)
        if not 0 <= value <= self.maximum:
            raise Invalid(f"must be an integer from 0 to {self.maximum}")
        return int(value)


class Text(Constraint):
    """A non-empty string (a metric name)."""

    def check(self, value):
        if not isinstance(value, str):
            raise Invalid("must be a string", type_error=True)
        if not value:
            raise Invalid("must not be empty")
        return value


class Path(Constraint):
    """A folder or file path: a string or an `os.PathLike`; returned as `str`."""

    def check(self, value):
        if not isinstance(value, (str, os.PathLike)):
            raise Invalid("must be a path (a string or os.PathLike)", type_error=True)
        value = os.fspath(value)
        if not value:
            raise Invalid("must not be an empty path")
        return value


class Instance(Constraint):
    """An instance of `kind` (a class, or a tuple of classes), described as `description`."""

    def __init__(self, kind, description):
        self.kind, self.description = kind, description

    def check(self, value):
        if not isinstance(value, self.kind):
            raise Invalid(f"must be {self.description}", type_error=True)
        return value


class Callbacks(Constraint):
    """A list or tuple of `keras.callbacks.Callback` instances or subclasses; returned as a list."""

    def check(self, value):
        if not isinstance(value, (list, tuple)):
            raise Invalid("must be a list of keras.callbacks.Callback instances or classes", type_error=True)
        for item in value:
            if not (isinstance(item, keras.callbacks.Callback)
                    or (isinstance(item, type) and issubclass(item, keras.callbacks.Callback))):
                raise Invalid("must hold only keras.callbacks.Callback instances or classes", type_error=True)
        return list(value)


class ReweightableLoss(Constraint):
    """A loss whose class weights a callback can set: it has `set_class_weights` and
    `class_counts` (as `zoo.losses.LDAMLoss`)."""

    def check(self, value):
        if not (callable(getattr(value, "set_class_weights", None)) and hasattr(value, "class_counts")):
            raise Invalid("must have `set_class_weights` and `class_counts` (e.g. zoo.losses.LDAMLoss)",
                          type_error=True)
        return value


def _is_array(value):
    """An array or tensor of any framework: it has a shape and a dtype (and is not a class)."""
    return not isinstance(value, type) and hasattr(value, "shape") and hasattr(value, "dtype")


class Arrays(Constraint):
    """An array or tensor, or a list, tuple or dict of them (the inputs of a model with several);
    with `datasets=True` also a `tf.data.Dataset`.

    Args:
        datasets: accept a `tf.data.Dataset` too.
    """

    def __init__(self, datasets=False):
        self.datasets = datasets

    def check(self, value):
        if self.datasets and isinstance(value, tf.data.Dataset):
            return value
        leaves = keras.tree.flatten(value) if isinstance(value, (list, tuple, dict)) else [value]
        if not leaves or not all(_is_array(leaf) for leaf in leaves):
            what = "an array or tensor, a list or dict of them"
            raise Invalid(f"must be {what}{', or a tf.data.Dataset' if self.datasets else ''}",
                          type_error=True)
        return value


class Batch(Constraint):
    """`(x, y)` of arrays (or, with `weights=True`, `(x, y, sample_weight)`, the weights may be
    None), or a `tf.data.Dataset` of such batches.

    Args:
        weights: accept a third item, the sample weights.
    """

    def __init__(self, weights=False):
        self.weights = weights

    def check(self, value):
        if isinstance(value, tf.data.Dataset):
            return value
        shapes = "(x, y) or (x, y, sample_weight)" if self.weights else "(x, y)"
        refusal = Invalid(f"must be {shapes} of arrays or tensors, or a tf.data.Dataset of them", type_error=True)
        if not isinstance(value, (list, tuple)) or len(value) not in ((2, 3) if self.weights else (2,)):
            raise refusal
        parts = list(value[:2]) + [item for item in value[2:] if item is not None]
        try:
            for part in parts:
                Arrays().check(part)
        except Invalid:
            raise refusal from None
        return value
