import numpy as np
import pytest

from zoo import _validation as v


def test_check_int_accepts_numpy_integers_and_rejects_bools_and_floats():
    assert v.check_int("units", np.int64(3), minimum=1) == 3
    with pytest.raises(TypeError, match="Received: units=True"):
        v.check_int("units", True)
    with pytest.raises(TypeError, match="Received: units=2.0"):
        v.check_int("units", 2.0)
    with pytest.raises(ValueError, match="Received: units=0"):
        v.check_int("units", 0, minimum=1)


def test_check_float_bounds_and_finiteness():
    assert v.check_float("rate", 0.5, minimum=0, maximum=1, max_inclusive=False) == 0.5
    with pytest.raises(ValueError, match="Received: rate=1.0"):
        v.check_float("rate", 1, maximum=1, max_inclusive=False)
    with pytest.raises(ValueError, match="Received: rate=nan"):
        v.check_float("rate", float("nan"))
    with pytest.raises(TypeError, match="Received: rate='0.1'"):
        v.check_float("rate", "0.1")


def test_check_choice_does_not_confuse_bools_with_ints():
    assert v.check_choice("normalization", None, (None, "batch")) is None
    with pytest.raises(ValueError, match="Received: mode=1"):
        v.check_choice("mode", 1, (True, False))


def test_check_sequences_and_shapes():
    assert v.check_int_sequence("hidden_units", [4, 2]) == (4, 2)
    with pytest.raises(ValueError, match=r"Received: hidden_units=\(4, 0\)"):
        v.check_int_sequence("hidden_units", (4, 0))
    with pytest.raises(TypeError, match="Received: hidden_units='44'"):
        v.check_int_sequence("hidden_units", "44")
    assert v.check_shape("input_shape", [8, 8, 1], ndim=3) == (8, 8, 1)
    with pytest.raises(ValueError, match=r"Received: input_shape=\(8, 8\)"):
        v.check_shape("input_shape", (8, 8), ndim=3)
