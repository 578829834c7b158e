"""Arguments of diagnostics' entry points (`repair`, `find_learning_rate`, `check_setup`): each
function declares one constraint table, as the zoo builders do, and
`zoo._validation.validate_arguments` checks every call against it before the function runs
(a `Keywords` entry checks the `**keywords` passed on to `fit`, each under its own name).

The constraints here add to `zoo._validation`'s what these functions take: a Keras model
(compiled or not), training data as `fit` takes it, validation data, class weights, and
`**keywords` passed on to `fit`. `diagnostics` never imports `callbacks`, so it does not share
`callbacks._arguments`. A refusal is an `ArgumentValueError` or `ArgumentTypeError` (a
`ValueError` or `TypeError`) whose message names the argument and ends with the Keras
convention `Received: name=value`.

Example:

>>> from zoo._validation import Integer, validate_arguments
>>> @validate_arguments({"epochs": Integer(minimum=1), "fit_kwargs": Keywords()})
... def run(epochs=1, **fit_kwargs):
...     return epochs, fit_kwargs
>>> run(2, shuffle=False)
(2, {'shuffle': False})
>>> run(epochs=0)
Traceback (most recent call last):
    ...
zoo._validation.ArgumentValueError: `epochs` must be an integer >= 1. Received: epochs=0
"""

import collections.abc
import inspect

import keras
import tensorflow as tf

from zoo._validation import Constraint, Invalid, refusal


class Keywords(Constraint):
    """The `**keywords` of a function: every name in `forbidden` is refused (a `ValueError`
    saying `why`), and so is every name that `accepted_by(checked arguments)`'s signature
    lacks (a `TypeError`), when `accepted_by` is given.

    Args:
        forbidden: names that cannot be passed.
        why: the end of the sentence "`name` ..." for a forbidden name.
        accepted_by: a function of the checked named arguments returning the callable whose
            parameters the keywords must be (e.g. the model's `fit`), or None (any name).
    """

    def __init__(self, forbidden=(), why="cannot be passed", accepted_by=None):
        self.forbidden, self.why, self.accepted_by = tuple(forbidden), why, accepted_by

    def check_each(self, keywords, checked):
        """Checks every keyword; returns them as a dict."""
        accepted = None
        if self.accepted_by is not None:
            target = self.accepted_by(checked)
            accepted = inspect.signature(target).parameters
            accepted = None if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in accepted.values()) else accepted
        for name, value in keywords.items():
            if name in self.forbidden:
                raise refusal(name, value, Invalid(self.why))
            if accepted is not None and name not in accepted:
                raise refusal(name, value, Invalid(f"is not an argument of `{self.accepted_by(checked).__name__}`",
                                                   type_error=True))
        return dict(keywords)


class KerasModel(Constraint):
    """A `keras.Model` (else a `TypeError`); with `compiled_for`, a compiled one with an
    optimizer (else a `ValueError` saying it must be compiled before `compiled_for`).

    Args:
        compiled_for: what needs the model compiled ("repair", "the range test"), or None.
    """

    def __init__(self, compiled_for=None):
        self.compiled_for = compiled_for

    def check(self, value):
        if not isinstance(value, keras.Model):
            raise Invalid("must be a keras.Model", type_error=True)
        if self.compiled_for and (not getattr(value, "compiled", False) or getattr(value, "optimizer", None) is None):
            raise Invalid(f"must be compiled: call `model.compile(optimizer=..., loss=...)` before {self.compiled_for}")
        return value


def is_stream(value):
    """Whether `value` is data that yields batches: a `tf.data.Dataset`, a
    `keras.utils.PyDataset`, or an iterator (a generator)."""
    return isinstance(value, (tf.data.Dataset, keras.utils.PyDataset, collections.abc.Iterator))


def _is_array_like(value):
    """An array, tensor or data frame: it has a shape (and is not a class)."""
    return not isinstance(value, (type, str, bytes)) and hasattr(value, "shape")


class Data(Constraint):
    """Inputs or targets as `fit` takes them: an array or tensor, or a list, tuple or dict of
    them (one per model input or output); with `streams=True` also a dataset, a `PyDataset`
    or a generator. Returned unchanged.

    Args:
        streams: accept a dataset, a `PyDataset` or a generator.
        required: refuse None (a `ValueError`: there is nothing to train on).
    """

    def __init__(self, streams=True, required=False):
        self.streams, self.required = streams, required

    def check(self, value):
        if value is None:
            if self.required:
                raise Invalid("must hold the training inputs")
            return value
        if is_stream(value):
            if self.streams:
                return value
            raise Invalid("must be arrays, not a dataset or a generator: pass a few batches "
                          "(np.concatenate over dataset.take(8))", type_error=True)
        if _is_array_like(value):
            return value
        leaves = keras.tree.flatten(value) if isinstance(value, (list, tuple, dict)) else []
        if not leaves or not all(_is_array_like(leaf) or isinstance(leaf, (int, float)) for leaf in leaves):
            raise Invalid("must be an array or tensor, or a list or dict of them"
                          + (", a dataset or a generator" if self.streams else ""), type_error=True)
        return value


class ValidationData(Constraint):
    """Validation data: a tuple or list of `lengths` items, each None or arrays as `Data`
    takes them; with `streams=True` also a dataset, `PyDataset` or generator of batches. Any
    other value is a `ValueError` (as `fit` gives).

    Args:
        lengths: the numbers of items accepted, e.g. (2, 3) for (x, y) or (x, y, weights).
        streams: accept a dataset, a `PyDataset` or a generator.
    """

    def __init__(self, lengths=(2, 3), streams=True):
        self.lengths, self.streams = tuple(lengths), streams

    def check(self, value):
        if self.streams and is_stream(value):
            return value
        shapes = {1: "(x_val,)", 2: "(x_val, y_val)", 3: "(x_val, y_val, sample_weight)"}
        wanted = " or ".join(shapes[length] for length in self.lengths)
        if self.streams:
            wanted += ", or a dataset or generator of such batches"
        if not isinstance(value, (tuple, list)) or len(value) not in self.lengths:
            raise Invalid(f"must be {wanted}")
        try:
            for part in value:
                Data(streams=False).check(part)
        except Invalid:
            raise Invalid(f"must be {wanted}, of arrays") from None
        return value


class ClassWeight(Constraint):
    """A dict from class index to weight, as `fit` takes it."""

    def check(self, value):
        if not isinstance(value, dict):
            raise Invalid("must be a dict from class index to weight", type_error=True)
        return value


class AsValueError(Constraint):
    """`constraint`, whose refusals of a wrong type are `ValueError`s too: for the arguments
    that refused every bad value with a `ValueError` before their tables existed (a caller's
    `except ValueError` keeps working)."""

    def __init__(self, constraint):
        self.constraint = constraint

    def check(self, value):
        try:
            return self.constraint.check(value)
        except Invalid as invalid:
            raise Invalid(invalid.requirement, type_error=False, argument=invalid.argument) from None
