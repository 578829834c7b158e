"""The examples in the builders' docstrings run and print what they claim."""

import doctest
import importlib

import pytest

MODULES = [
    "zoo",
    "zoo.registry",
    "zoo._validation",
    "zoo.layers",
    "zoo.models._arguments",
    "zoo.models._generative",
    "zoo.models.perceptron",
    "zoo.models.mlp",
    "zoo.models.cnn",
    "zoo.models.resnet",
    "zoo.models.recurrent",
]


@pytest.mark.parametrize("module_name", MODULES)
def test_docstring_examples(module_name):
    module = importlib.import_module(module_name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
