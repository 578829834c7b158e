"""The constraint tables of diagnostics' entry points: `repair`, `find_learning_rate`,
`check_setup`. Every argument has a row of bad values here (a test requires it), and every
refusal is a ValueError or TypeError that names the argument and ends "Received: name=value"
with the value the function was given."""

import doctest
import inspect

import keras
import numpy as np
import pytest
import tensorflow as tf

from diagnostics import _arguments, check_setup, find_learning_rate, repair
from zoo._validation import Integer, validate_arguments


def _model(compiled=True):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    if compiled:
        model.compile(optimizer="sgd", loss="mse")
    return model


def _dataset():
    return tf.data.Dataset.from_tensor_slices((np.zeros((8, 4), "float32"), np.zeros((8,), "float32"))).batch(4)


class _Make:
    """A value built when the test runs (models and datasets are not built at collection)."""

    def __init__(self, make, label):
        self.make, self.label = make, label

    def __repr__(self):
        return self.label


UNCOMPILED = _Make(lambda: _model(compiled=False), "an uncompiled model")
DATASET = _Make(_dataset, "a dataset")

# (function, argument, bad keyword arguments, expected error). The message must name the keyword
# of the bad arguments whose value is bad: for `fit_kwargs`, the keyword itself.
ROWS = [
    (repair, "model", {"model": "mlp"}, TypeError),
    (repair, "model", {"model": UNCOMPILED}, ValueError),
    (repair, "x", {"x": "data"}, TypeError),
    (repair, "x", {"x": 3}, TypeError),
    (repair, "y", {"y": "labels"}, TypeError),
    (repair, "y", {"y": DATASET}, TypeError),
    (repair, "validation_data", {"validation_data": np.zeros(3)}, ValueError),
    (repair, "validation_data", {"validation_data": (np.zeros((2, 4)),)}, ValueError),
    (repair, "validation_data", {"validation_data": ("a", "b")}, ValueError),
    (repair, "epochs", {"epochs": 0}, ValueError),
    (repair, "epochs", {"epochs": 1.5}, ValueError),
    (repair, "epochs", {"epochs": True}, ValueError),
    (repair, "batch_size", {"batch_size": 0}, ValueError),
    (repair, "batch_size", {"batch_size": 2.5}, TypeError),
    (repair, "budget", {"budget": 0}, ValueError),
    (repair, "budget", {"budget": -1.0}, ValueError),
    (repair, "budget", {"budget": float("inf")}, ValueError),
    (repair, "budget", {"budget": "1.5"}, ValueError),
    (repair, "seeds", {"seeds": 0}, ValueError),
    (repair, "seeds", {"seeds": 2.0}, ValueError),
    (repair, "verbose", {"verbose": 3}, ValueError),
    (repair, "verbose", {"verbose": -1}, ValueError),
    (repair, "verbose", {"verbose": True}, ValueError),
    (repair, "fit_kwargs", {"callbacks": []}, ValueError),
    (repair, "fit_kwargs", {"steps_per_epoch": 2}, ValueError),
    (repair, "fit_kwargs", {"initial_epoch": 1}, ValueError),
    (repair, "fit_kwargs", {"no_such_argument": 1}, TypeError),
    (find_learning_rate, "model", {"model": "model"}, TypeError),
    (find_learning_rate, "model", {"model": UNCOMPILED}, ValueError),
    (find_learning_rate, "x", {"x": None}, ValueError),
    (find_learning_rate, "x", {"x": "data"}, TypeError),
    (find_learning_rate, "y", {"y": "labels"}, TypeError),
    (find_learning_rate, "y", {"y": DATASET}, TypeError),
    (find_learning_rate, "y", {"x": DATASET, "y": np.zeros(8)}, ValueError),
    (find_learning_rate, "batch_size", {"batch_size": 0}, ValueError),
    (find_learning_rate, "batch_size", {"batch_size": 1.5}, ValueError),
    (find_learning_rate, "batch_size", {"x": DATASET, "y": None, "batch_size": 4}, ValueError),
    (find_learning_rate, "sample_weight", {"sample_weight": "w"}, TypeError),
    (find_learning_rate, "sample_weight", {"x": DATASET, "y": None, "sample_weight": np.ones(8)}, ValueError),
    (find_learning_rate, "class_weight", {"class_weight": [1.0, 2.0]}, TypeError),
    (find_learning_rate, "start", {"start": 0.0}, ValueError),
    (find_learning_rate, "start", {"start": -1}, ValueError),
    (find_learning_rate, "start", {"start": "1e-7"}, ValueError),
    (find_learning_rate, "stop", {"stop": float("inf")}, ValueError),
    (find_learning_rate, "stop", {"start": 1.0, "stop": 1.0}, ValueError),
    (find_learning_rate, "stop", {"start": 1e-3, "stop": 1e-4}, ValueError),
    (find_learning_rate, "steps", {"steps": 1}, ValueError),
    (find_learning_rate, "steps", {"steps": 2.5}, ValueError),
    (find_learning_rate, "smoothing", {"smoothing": 1.0}, ValueError),
    (find_learning_rate, "smoothing", {"smoothing": -0.1}, ValueError),
    (find_learning_rate, "divergence", {"divergence": 1.0}, ValueError),
    (find_learning_rate, "divergence", {"divergence": float("nan")}, ValueError),
    (find_learning_rate, "seed", {"seed": 1.5}, TypeError),
    (find_learning_rate, "seed", {"seed": True}, TypeError),
    (find_learning_rate, "verbose", {"verbose": 3}, ValueError),
    (check_setup, "model", {"model": "model"}, TypeError),
    (check_setup, "x", {"x": DATASET}, TypeError),
    (check_setup, "x", {"x": "data"}, TypeError),
    (check_setup, "y", {"y": DATASET}, TypeError),
    (check_setup, "validation_data", {"validation_data": np.zeros(3)}, ValueError),
    (check_setup, "validation_data", {"validation_data": (np.zeros(3),) * 4}, ValueError),
    (check_setup, "validation_data", {"validation_data": "validation"}, ValueError),
]

FUNCTIONS = (repair, find_learning_rate, check_setup)


def _call(function, bad):
    arguments = {"model": _model(), "x": np.zeros((8, 4), "float32"), "y": np.zeros((8,), "float32")}
    arguments.update({name: value.make() if isinstance(value, _Make) else value for name, value in bad.items()})
    function(**arguments)
    return arguments


@pytest.mark.parametrize(("function", "argument", "bad", "error"), ROWS,
                         ids=[f"{row[0].__name__}-{row[1]}-{index}" for index, row in enumerate(ROWS)])
def test_a_bad_value_is_refused_naming_the_argument_and_the_value_received(function, argument, bad, error):
    received = {}

    def spy(**arguments):  # the values exactly as the function is given them
        received.update(arguments)
        return function(**arguments)

    with pytest.raises(error) as info:
        _call(spy, bad)
    # The argument at fault is the last one the row sets (the others set the scene for a rule).
    name = list(bad)[-1]
    assert isinstance(info.value, (ValueError, TypeError))
    assert str(info.value).startswith(f"`{name}` ")
    assert str(info.value).endswith(f". Received: {name}={received[name]!r}")


@pytest.mark.parametrize("function", FUNCTIONS, ids=lambda function: function.__name__)
def test_every_argument_has_a_row_of_bad_values(function):
    """A new argument must come with its constraint and its bad values here."""
    rows = {argument for row_function, argument, _, _ in ROWS if row_function is function}
    assert rows == set(inspect.signature(function).parameters)


@pytest.mark.parametrize("function", FUNCTIONS, ids=lambda function: function.__name__)
def test_every_argument_has_a_constraint(function):
    module = inspect.getmodule(inspect.unwrap(function))
    assert set(module._CONSTRAINTS) == set(inspect.signature(function).parameters)


def test_good_values_pass_and_are_normalised():
    @validate_arguments({"epochs": Integer(minimum=1), "keywords": _arguments.Keywords(("callbacks",))})
    def run(epochs=1, **keywords):
        return epochs, keywords

    assert run(np.int64(3), shuffle=False) == (3, {"shuffle": False})
    assert type(run(np.int64(3))[0]) is int


def test_a_table_must_name_every_parameter():
    with pytest.raises(TypeError, match=r"must name exactly its parameters"):
        @validate_arguments({"epochs": Integer(minimum=1)})
        def run(epochs=1, **keywords):
            return epochs


@pytest.mark.parametrize("module", [_arguments, inspect.getmodule(inspect.unwrap(repair))],
                         ids=lambda module: module.__name__)
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0
