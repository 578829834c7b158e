"""The declarative argument constraints: each kind, the table check, and the decorator."""

import inspect

import numpy as np
import pytest

from zoo import _validation as v


def _refusal(constraint, value, name="arg"):
    """The error `check` raises for `name=value` under `constraint`."""
    with pytest.raises((v.ArgumentValueError, v.ArgumentTypeError)) as info:
        v.check(name, value, constraint)
    return info.value


def test_integer_accepts_numpy_integers_and_refuses_bools_floats_and_out_of_range():
    assert v.check("units", np.int64(3), v.Integer(minimum=1)) == 3
    assert type(v.check("units", np.int64(3), v.Integer(minimum=1))) is int
    assert str(_refusal(v.Integer(), True, "units")) == (
        "`units` must be an integer. Received: units=True"
    )
    assert isinstance(_refusal(v.Integer(), 2.0), TypeError)
    assert str(_refusal(v.Integer(1, 5), 0, "units")) == (
        "`units` must be an integer >= 1. Received: units=0"
    )
    assert str(_refusal(v.Integer(1, 5), 6, "units")) == (
        "`units` must be an integer <= 5. Received: units=6"
    )


def test_real_bounds_finiteness_and_the_value_as_passed():
    rate = v.Real(0.0, 1.0, max_inclusive=False)
    assert v.check("rate", 0, rate) == 0.0
    # The message shows the value the caller passed (the int 1), not its float conversion.
    assert str(_refusal(rate, 1, "rate")) == "`rate` must be < 1.0. Received: rate=1"
    assert str(_refusal(v.Real(minimum=0.0, min_inclusive=False), 0.0, "lr")) == (
        "`lr` must be > 0.0. Received: lr=0.0"
    )
    assert isinstance(_refusal(rate, float("nan")), ValueError)
    assert isinstance(_refusal(rate, float("inf")), ValueError)
    assert isinstance(_refusal(rate, "0.1"), TypeError)
    assert isinstance(_refusal(rate, False), TypeError)


def test_options_do_not_confuse_bools_with_ints():
    assert v.check("normalization", None, v.Options((None, "batch"))) is None
    assert str(_refusal(v.Options((True, False)), 1, "mode")) == (
        "`mode` must be one of [True, False]. Received: mode=1"
    )


def test_integer_sequences():
    widths = v.IntegerSequence(maximum=64, min_length=1, max_length=2, accept_int=True)
    assert v.check("units", [4, 2], widths) == (4, 2)
    assert v.check("units", 4, widths) == (4,)
    assert str(_refusal(widths, (4, 0), "units")) == (
        "`units` must contain only integers >= 1. Received: units=(4, 0)"
    )
    assert isinstance(_refusal(widths, "44"), TypeError)
    assert isinstance(_refusal(widths, (4, True)), TypeError)
    assert isinstance(_refusal(widths, ()), ValueError)
    assert isinstance(_refusal(widths, (1, 2, 3)), ValueError)
    assert isinstance(_refusal(widths, (65,)), ValueError)
    assert isinstance(_refusal(v.IntegerSequence(), 4), TypeError)


def test_shapes():
    assert v.check("input_shape", [8, 8, 1], v.Shape(ndim=3)) == (8, 8, 1)
    assert str(_refusal(v.Shape(ndim=3), (8, 8), "input_shape")) == (
        "`input_shape` must have 3 dimension(s) (without the batch axis). "
        "Received: input_shape=(8, 8)"
    )
    assert isinstance(_refusal(v.Shape(max_ndim=2), (2, 2, 2)), ValueError)
    assert isinstance(_refusal(v.Shape(max_size=63), (8, 8)), ValueError)
    assert isinstance(_refusal(v.Shape(), (8, None)), TypeError)
    sequences = v.Shape(ndim=2, variable_length=True)
    assert v.check("input_shape", (None, 3), sequences) == (None, 3)
    assert isinstance(_refusal(sequences, (3, None)), TypeError)


def test_names_and_optional():
    assert v.check("name", "mlp", v.Name()) == "mlp"
    assert isinstance(_refusal(v.Name(), ""), TypeError)
    assert isinstance(_refusal(v.Name(), "a/b"), ValueError)
    seed = v.Optional(v.Integer(0))
    assert v.check("seed", None, seed) is None
    assert str(_refusal(seed, -1, "seed")) == "`seed` must be an integer >= 0. Received: seed=-1"


def _rule_units_not_above_width(units, width, **_):
    if units > width:
        raise v.Invalid(f"must be at most width={width}", argument="units")


@v.validate_arguments(
    {"units": v.Integer(1), "width": v.Integer(1)}, rules=(_rule_units_not_above_width,)
)
def _toy_builder(units=2, width=4):
    """A toy builder."""
    return units, width


def test_decorator_passes_checked_values_and_keeps_the_signature():
    assert _toy_builder(np.int32(3)) == (3, 4)
    assert type(_toy_builder(np.int32(3))[0]) is int
    assert list(inspect.signature(_toy_builder).parameters) == ["units", "width"]
    assert _toy_builder.__doc__ == "A toy builder."
    with pytest.raises(TypeError, match="unexpected keyword argument 'depth'"):
        _toy_builder(depth=3)


def test_rules_name_the_argument_at_fault_with_the_value_passed():
    with pytest.raises(v.ArgumentValueError) as info:
        _toy_builder(units=np.int64(5))
    assert str(info.value) == "`units` must be at most width=4. Received: units=np.int64(5)"
    assert (info.value.argument, info.value.value) == ("units", 5)
    # A rule sees only values that passed their own constraints.
    with pytest.raises(v.ArgumentTypeError, match="Received: width='4'"):
        _toy_builder(units=5, width="4")


def test_a_table_must_name_exactly_the_parameters():
    with pytest.raises(TypeError, match=r"Received: constraints=\['units'\]"):
        v.validate_arguments({"units": v.Integer()})(lambda units, width: None)
