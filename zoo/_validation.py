"""Argument checks shared by the builders, samplers and optimizers.

Each check raises `ValueError` or `TypeError` with a message that names the argument and ends
with the Keras convention `Received: name=value`.
"""

import numbers


def _fail(error, name, value, requirement):
    raise error(f"`{name}` {requirement}. Received: {name}={value!r}")


def check_int(name, value, minimum=None, maximum=None):
    """Checks that `value` is an integer (not a bool) within [minimum, maximum]; returns it as int."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        _fail(TypeError, name, value, "must be an integer")
    if minimum is not None and value < minimum:
        _fail(ValueError, name, value, f"must be an integer >= {minimum}")
    if maximum is not None and value > maximum:
        _fail(ValueError, name, value, f"must be an integer <= {maximum}")
    return int(value)


def check_float(name, value, minimum=None, maximum=None, min_inclusive=True, max_inclusive=True):
    """Checks that `value` is a finite real number within the given bounds; returns it as float."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        _fail(TypeError, name, value, "must be a number")
    value = float(value)
    if value != value or value in (float("inf"), float("-inf")):
        _fail(ValueError, name, value, "must be finite")
    if minimum is not None and (value < minimum or (not min_inclusive and value == minimum)):
        bound = ">=" if min_inclusive else ">"
        _fail(ValueError, name, value, f"must be {bound} {minimum}")
    if maximum is not None and (value > maximum or (not max_inclusive and value == maximum)):
        bound = "<=" if max_inclusive else "<"
        _fail(ValueError, name, value, f"must be {bound} {maximum}")
    return value


def check_bool(name, value):
    """Checks that `value` is a bool."""
    if not isinstance(value, bool):
        _fail(TypeError, name, value, "must be a bool")
    return value


def check_choice(name, value, choices):
    """Checks that `value` is one of `choices` (compared with ==)."""
    if not any(value is choice or (type(value) is type(choice) and value == choice) for choice in choices):
        _fail(ValueError, name, value, f"must be one of {list(choices)}")
    return value


def check_int_sequence(name, value, minimum=1, allow_empty=True):
    """Checks a list or tuple of integers >= `minimum`; returns it as a tuple."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        _fail(TypeError, name, value, "must be a list or tuple of integers")
    if not allow_empty and len(value) == 0:
        _fail(ValueError, name, value, "must not be empty")
    for item in value:
        if isinstance(item, bool) or not isinstance(item, numbers.Integral):
            _fail(TypeError, name, value, "must contain only integers")
        if item < minimum:
            _fail(ValueError, name, value, f"must contain only integers >= {minimum}")
    return tuple(int(item) for item in value)


def check_shape(name, value, ndim=None, min_ndim=None, minimum=1):
    """Checks an input shape without the batch axis: a tuple of positive ints of a given rank."""
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        _fail(TypeError, name, value, "must be a tuple of integers")
    value = tuple(value)
    for item in value:
        if isinstance(item, bool) or not isinstance(item, numbers.Integral):
            _fail(TypeError, name, value, "must contain only integers")
        if item < minimum:
            _fail(ValueError, name, value, f"must contain only integers >= {minimum}")
    if ndim is not None and len(value) != ndim:
        _fail(ValueError, name, value, f"must have {ndim} dimension(s) (without the batch axis)")
    if min_ndim is not None and len(value) < min_ndim:
        _fail(ValueError, name, value, f"must have at least {min_ndim} dimension(s)")
    return tuple(int(item) for item in value)
