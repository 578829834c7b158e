"""Constructor arguments of the monitors: checked against a constraint table, as the builders'
are (`zoo._validation`), and kept as attributes of the same name.

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

from zoo._validation import validate


def keep_checked(callback, constraints, **arguments):
    """Checks `arguments` against `constraints` and sets each checked value on `callback`.

    Args:
        callback: the object being constructed.
        constraints: `{argument name: zoo._validation.Constraint}`, one entry per argument.
        **arguments: the values the caller passed.
    """
    for name, value in validate(constraints, arguments).items():
        setattr(callback, name, value)
