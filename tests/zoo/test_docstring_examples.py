"""The examples in the docstrings of the builders and of the shared helpers run and print what they claim."""

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
    "zoo.optimizers._base",
    "zoo._keras_internals",
    "zoo._serialization",
    "diagnostics._format",
    "diagnostics.section",
    "callbacks._arguments",
]


@pytest.mark.parametrize("module_name", MODULES)
def test_docstring_examples(module_name):
    module = importlib.import_module(module_name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0
    assert result.failed == 0
