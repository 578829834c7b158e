"""Small helpers every part of `diagnostics` (and the monitors) shares: numbers for people,
numbers for JSON, and a headless pyplot.

Example:

>>> fmt(0.000123456), fmt(float("nan")), fmt("relu")
('0.000123', 'nan', 'relu')
>>> to_float("1.5"), to_float(None)
(1.5, nan)
"""

import math
import numbers
import os


def to_float(value):
    """`float(value)`, or NaN when `value` is not a number (None, a string, an array...)."""
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def fmt(value):
    """A number with 3 significant digits (`nan`/`inf` as words); anything else as `str`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return str(value)
    value = float(value)
    return f"{value:.3g}" if math.isfinite(value) else str(value)


def json_number(value):
    """A value for JSON: non-finite floats as 'nan', 'inf' or '-inf'; anything else unchanged."""
    if isinstance(value, float) and not math.isfinite(value):
        return repr(float(value))
    return value


def from_json_number(value):
    """Inverse of `json_number` (other values pass through)."""
    if value in ("nan", "inf", "-inf"):
        return float(value)
    return value


def pyplot():
    """`matplotlib.pyplot`, on the file-only Agg backend unless the user chose one (MPLBACKEND)."""
    import matplotlib

    if "MPLBACKEND" not in os.environ:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, out_dir, file_name):
    """Saves a matplotlib figure into the report folder, closes it and returns `file_name`."""
    fig.savefig(os.path.join(out_dir, file_name), dpi=110, bbox_inches="tight")
    pyplot().close(fig)
    return file_name
