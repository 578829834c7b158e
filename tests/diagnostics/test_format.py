"""The shared number and plot helpers of `diagnostics._format`."""

import math

import numpy as np

from diagnostics._format import fmt, from_json_number, json_number, to_float


def test_fmt_gives_three_significant_digits_for_every_number_type():
    assert [fmt(v) for v in (0.000123456, 123456.0, 7, np.float32(0.5), np.int64(12))] == [
        "0.000123", "1.23e+05", "7", "0.5", "12"]
    assert [fmt(v) for v in (math.nan, -math.inf)] == ["nan", "-inf"]
    assert [fmt(v) for v in ("relu", None, True)] == ["relu", "None", "True"]


def test_to_float_is_nan_for_what_is_not_a_number():
    assert to_float("1.5") == 1.5 and to_float(np.float32(2.0)) == 2.0
    assert all(math.isnan(to_float(v)) for v in (None, "abc", [1.0, 2.0]))


def test_json_numbers_round_trip_non_finite_values():
    values = [1.5, math.inf, -math.inf]
    encoded = [json_number(v) for v in values]
    assert encoded == [1.5, "inf", "-inf"]
    assert [from_json_number(v) for v in encoded] == values
    assert json_number(math.nan) == "nan" and math.isnan(from_json_number("nan"))
