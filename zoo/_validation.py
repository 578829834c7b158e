"""Argument checks: declarative constraint tables for the builders, and the checks behind them.

A builder declares what each of its arguments must be in one table, as scikit-learn's
`_parameter_constraints` does, and `validate_arguments` checks a call against it. Every refusal
is an `ArgumentValueError` or `ArgumentTypeError` (subclasses of `ValueError` and `TypeError`)
whose message names the argument and ends with the Keras convention `Received: name=value`,
where the value is the one the caller passed.

Example:

>>> @validate_arguments({"units": Integer(minimum=1), "rate": Real(0.0, 1.0, max_inclusive=False)})
... def build(units=8, rate=0.0):
...     return units, rate
>>> build(units=4)
(4, 0.0)
>>> build(rate=1.0)
Traceback (most recent call last):
    ...
zoo._validation.ArgumentValueError: `rate` must be < 1.0. Received: rate=1.0
"""

import functools
import inspect
import math
import numbers


class _ArgumentError(Exception):
    """A refused argument: `argument` is its name, `value` what the caller passed."""

    def __init__(self, message, argument, value):
        super().__init__(message)
        self.argument = argument
        self.value = value


class ArgumentValueError(_ArgumentError, ValueError):
    """A bad argument value."""


class ArgumentTypeError(_ArgumentError, TypeError):
    """An argument of the wrong type."""


class Invalid(Exception):
    """Raised by a constraint or a rule: what an argument must be; the caller adds name and value.

    Args:
        requirement: the end of the sentence "`name` ...", e.g. "must be an integer".
        type_error: True when the value has the wrong type (a `TypeError`).
        argument: the argument at fault; rules that relate several arguments must name it.
    """

    def __init__(self, requirement, type_error=False, argument=None):
        super().__init__(requirement)
        self.requirement = requirement
        self.type_error = type_error
        self.argument = argument


def refusal(name, value, invalid):
    """The `ArgumentValueError` or `ArgumentTypeError` that reports `invalid` for `name=value`."""
    error = ArgumentTypeError if invalid.type_error else ArgumentValueError
    return error(f"`{name}` {invalid.requirement}. Received: {name}={value!r}", name, value)


# -- constraints: each checks one value and returns it normalised -----------------------------


def _is_integer(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


class Constraint:
    """What one argument must be: `check(value)` returns it normalised, or raises `Invalid`."""

    def check(self, value):
        raise NotImplementedError


class Integer(Constraint):
    """An integer (not a bool) in [minimum, maximum]; returned as `int`."""

    def __init__(self, minimum=None, maximum=None):
        self.minimum, self.maximum = minimum, maximum

    def check(self, value):
        if not _is_integer(value):
            raise Invalid("must be an integer", type_error=True)
        if self.minimum is not None and value < self.minimum:
            raise Invalid(f"must be an integer >= {self.minimum}")
        if self.maximum is not None and value > self.maximum:
            raise Invalid(f"must be an integer <= {self.maximum}")
        return int(value)


class Real(Constraint):
    """A finite real number within the bounds (each inclusive unless said otherwise); a `float`."""

    def __init__(self, minimum=None, maximum=None, min_inclusive=True, max_inclusive=True):
        self.minimum, self.maximum = minimum, maximum
        self.min_inclusive, self.max_inclusive = min_inclusive, max_inclusive

    def check(self, value):
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise Invalid("must be a number", type_error=True)
        value = float(value)
        if not math.isfinite(value):
            raise Invalid("must be finite")
        if self.minimum is not None and (
            value < self.minimum or (not self.min_inclusive and value == self.minimum)
        ):
            raise Invalid(f"must be {'>=' if self.min_inclusive else '>'} {self.minimum}")
        if self.maximum is not None and (
            value > self.maximum or (not self.max_inclusive and value == self.maximum)
        ):
            raise Invalid(f"must be {'<=' if self.max_inclusive else '<'} {self.maximum}")
        return value


class Boolean(Constraint):
    """`True` or `False`."""

    def check(self, value):
        if not isinstance(value, bool):
            raise Invalid("must be a bool", type_error=True)
        return value


class Options(Constraint):
    """One of `choices`, compared by type and value (so `1` is not `True`)."""

    def __init__(self, choices):
        self.choices = tuple(choices)

    def check(self, value):
        if not any(
            value is choice or (type(value) is type(choice) and value == choice)
            for choice in self.choices
        ):
            raise Invalid(f"must be one of {list(self.choices)}")
        return value


class Name(Constraint):
    """A non-empty string that Keras accepts as a name (no `/`)."""

    def check(self, value):
        if not isinstance(value, str) or not value:
            raise Invalid("must be a non-empty string", type_error=True)
        if "/" in value:
            raise Invalid("must not contain '/'")
        return value


class Optional(Constraint):
    """None, or what `constraint` accepts."""

    def __init__(self, constraint):
        self.constraint = constraint

    def check(self, value):
        return None if value is None else self.constraint.check(value)


class IntegerSequence(Constraint):
    """A list or tuple of integers in [minimum, maximum]; returned as a tuple.

    Args:
        minimum: smallest item.
        maximum: largest item, or None.
        min_length: fewest items.
        max_length: most items, or None.
        accept_int: take a single integer as a one-item tuple.
    """

    def __init__(self, minimum=1, maximum=None, min_length=0, max_length=None, accept_int=False):
        self.minimum, self.maximum = minimum, maximum
        self.min_length, self.max_length = min_length, max_length
        self.accept_int = accept_int

    def check(self, value):
        if self.accept_int and _is_integer(value):
            value = (value,)
        if not isinstance(value, (list, tuple)):
            raise Invalid("must be a list or tuple of integers", type_error=True)
        if not all(_is_integer(item) for item in value):
            raise Invalid("must contain only integers", type_error=True)
        if len(value) < self.min_length:
            raise Invalid(f"must have at least {self.min_length} item(s)")
        if self.max_length is not None and len(value) > self.max_length:
            raise Invalid(f"must have at most {self.max_length} items")
        if any(item < self.minimum for item in value):
            raise Invalid(f"must contain only integers >= {self.minimum}")
        if self.maximum is not None and any(item > self.maximum for item in value):
            raise Invalid(f"must contain only integers <= {self.maximum}")
        return tuple(int(item) for item in value)


class Shape(Constraint):
    """An input shape without the batch axis: positive integers, of rank `ndim` or in a range.

    Args:
        ndim: the exact rank, or None.
        min_ndim: the smallest rank.
        max_ndim: the largest rank, or None.
        max_size: the most values one example may hold, or None.
        variable_length: the first axis may be None (sequences of any length).
    """

    def __init__(self, ndim=None, min_ndim=1, max_ndim=None, max_size=None, variable_length=False):
        self.ndim, self.min_ndim, self.max_ndim = ndim, min_ndim, max_ndim
        self.max_size = max_size
        self.variable_length = variable_length

    def check(self, value):
        if not isinstance(value, (list, tuple)):
            raise Invalid("must be a tuple of integers", type_error=True)
        sides = value[1:] if self.variable_length and value and value[0] is None else value
        if not all(_is_integer(item) for item in sides):
            raise Invalid("must contain only integers", type_error=True)
        if any(item < 1 for item in sides):
            raise Invalid("must contain only integers >= 1")
        if self.ndim is not None and len(value) != self.ndim:
            raise Invalid(f"must have {self.ndim} dimension(s) (without the batch axis)")
        if len(value) < self.min_ndim:
            raise Invalid(f"must have at least {self.min_ndim} dimension(s)")
        if self.max_ndim is not None and len(value) > self.max_ndim:
            raise Invalid(f"must have at most {self.max_ndim} dimensions")
        if self.max_size is not None and math.prod(sides) > self.max_size:
            raise Invalid(f"must hold at most {self.max_size} values")
        return tuple(value[: len(value) - len(sides)]) + tuple(int(item) for item in sides)


# -- checking a call against a table ----------------------------------------------------------


def validate(constraints, arguments, rules=()):
    """Checks `arguments` against `constraints`, then the `rules` that relate several of them.

    Args:
        constraints: `{argument name: Constraint}`, one entry for each argument.
        arguments: `{argument name: value}` as the caller passed them (defaults filled in).
        rules: functions of the checked arguments (as keywords) that raise `Invalid`, naming the
            argument at fault, when a combination is refused.

    Returns:
        `{argument name: checked value}`.
    """
    checked = {}
    for name, value in arguments.items():
        try:
            checked[name] = constraints[name].check(value)
        except Invalid as invalid:
            raise refusal(name, value, invalid) from None
    for rule in rules:
        try:
            rule(**checked)
        except Invalid as invalid:
            raise refusal(invalid.argument, arguments[invalid.argument], invalid) from None
    return checked


def validate_arguments(constraints, rules=()):
    """Decorator: the function's arguments are checked by `validate` before it runs.

    The function receives the checked, normalised values. The table must name exactly the
    function's parameters, so that no argument goes unchecked. The entry of a `**keywords`
    parameter is a constraint with `check_each(keywords, checked)` (for example
    `diagnostics._arguments.Keywords`): each keyword is checked under its own name, after the named
    arguments.

    Args:
        constraints: `{parameter name: Constraint}`.
        rules: as in `validate` (over the named arguments).

    Returns:
        The decorator; the decorated function keeps its name, docstring and signature.
    """

    def decorator(function):
        signature = inspect.signature(function)
        if set(signature.parameters) != set(constraints):
            raise TypeError(
                f"The constraints of {function.__name__} must name exactly its parameters. "
                f"Received: constraints={sorted(constraints)}"
            )

        keywords = next((name for name, parameter in signature.parameters.items()
                         if parameter.kind is inspect.Parameter.VAR_KEYWORD), None)

        @functools.wraps(function)
        def checked_function(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            named = {name: value for name, value in bound.arguments.items() if name != keywords}
            checked = validate({name: constraints[name] for name in named}, named, rules)
            extra = constraints[keywords].check_each(bound.arguments.get(keywords, {}), checked) if keywords else {}
            return function(**checked, **extra)

        return checked_function

    return decorator


# -- one-off checks, for code that checks an argument or two inline --------------------------


def check(name, value, constraint):
    """Checks one argument against `constraint`; returns the normalised value."""
    return validate({name: constraint}, {name: value})[name]


def check_int(name, value, minimum=None, maximum=None):
    """Checks that `value` is an integer (not a bool) within [minimum, maximum]; returns it as int."""
    return check(name, value, Integer(minimum, maximum))


def check_float(name, value, minimum=None, maximum=None, min_inclusive=True, max_inclusive=True):
    """Checks that `value` is a finite real number within the given bounds; returns it as float."""
    return check(name, value, Real(minimum, maximum, min_inclusive, max_inclusive))


def check_bool(name, value):
    """Checks that `value` is a bool."""
    return check(name, value, Boolean())


def check_choice(name, value, choices):
    """Checks that `value` is one of `choices` (compared by type and value)."""
    return check(name, value, Options(choices))

