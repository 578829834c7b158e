"""`benchmarks/gpu_check.py` in its CPU smoke mode: one table, the samplers agree with
imbalanced-learn, and the healthy net gets no finding under XLA."""

import contextlib
import importlib.util
import io
import os

import pytest

SCRIPT = os.path.join(os.path.dirname(__file__), "..", "..", "benchmarks", "gpu_check.py")


@pytest.fixture(scope="module")
def smoke_run():
    """The script's exit status, and its table rows keyed by (check, first part of the setting)."""
    spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
    gpu_check = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(gpu_check)
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        status = gpu_check.main(["--smoke"])
    lines = output.getvalue().splitlines()
    table = [line for line in lines if line.startswith("|")]
    rows = [[cell.strip() for cell in line.strip("|").split(" | ")] for line in table[2:]]
    return status, lines, table, {(row[0], row[1].split(",")[0]): row for row in rows}


@pytest.mark.slow
def test_smoke_mode_prints_one_table_with_every_check(smoke_run):
    _, lines, table, rows = smoke_run
    assert table[0] == "| check | setting | result | seconds | ok |"
    assert set(rows) == {
        ("fit + TrainingDiagnostics, XLA", "dead ReLU net"),
        ("fit + TrainingDiagnostics, XLA", "healthy net"),
        ("SMOTE vs imbalanced-learn", "20"),
        ("balanced_dataset vs BalancedBatchGenerator", "20"),
    }
    assert lines[0].startswith("Device: ")


@pytest.mark.slow
@pytest.mark.parametrize("key", [
    ("fit + TrainingDiagnostics, XLA", "healthy net"),
    ("SMOTE vs imbalanced-learn", "20"),
    ("balanced_dataset vs BalancedBatchGenerator", "20"),
])
def test_smoke_mode_check_passes(smoke_run, key):
    assert smoke_run[3][key][-1] == "PASS", smoke_run[3][key]


@pytest.mark.slow
def test_smoke_mode_finds_the_dead_relu_under_xla(smoke_run):
    status, _, _, rows = smoke_run
    assert rows[("fit + TrainingDiagnostics, XLA", "dead ReLU net")][-1] == "PASS"
    assert status == 0
