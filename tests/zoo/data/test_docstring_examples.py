"""The runnable examples in the imbalance modules' docstrings do what they claim."""

import doctest
import importlib

import pytest

MODULES = [
    "zoo.data._neighbors",
    "zoo.data.smote",
    "zoo.data.random_over_sampler",
    "zoo.data.random_under_sampler",
    "zoo.losses",
    "diagnostics.imbalance",
]


@pytest.mark.slow  # ~35 s: every example of zoo.data, imbalanced-learn references included
def test_docstring_examples():
    for name in MODULES:
        result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        assert result.attempted > 0, name
        assert result.failed == 0, name
