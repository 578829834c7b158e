"""`check_validation_fingerprints`: the share of validation rows found among training rows,
against the share of the epoch the training fingerprints cover."""

import numpy as np
import pytest

from diagnostics import setup_data
from diagnostics.setup_data import check_validation_copy, check_validation_fingerprints


def _fingerprints(count, seed=0):
    """Distinct even fingerprints (odd ones, `| 1`, are then surely not among them)."""
    return np.random.default_rng(seed).choice(2**30, size=count, replace=False).astype(np.int32) * 2


@pytest.mark.parametrize("coverage, found, expected", [
    (1.0, 512, 1.0),          # every validation row is a training row
    (1.0, 470, 470 / 512),    # 92% found: a copy with a few rows of its own
    (1.0, 450, None),         # 88%: under COPY_FRACTION
    (0.8, 400, 400 / 512 / 0.8),  # 80% of the epoch covered, 78% found: 98% copied
    (0.8, 360, None),         # 0.70 / 0.8 = 0.88: under COPY_FRACTION
    (0.7, 358, None),         # all copied, but coverage under MIN_COPY_COVERAGE
    (None, 512, None),        # coverage unknown
])
def test_found_share_is_judged_against_the_coverage(coverage, found, expected):
    train = _fingerprints(4000)
    validation = np.concatenate([train[:found], _fingerprints(512 - found, seed=1) | 1])
    findings = check_validation_fingerprints(train, validation, coverage)
    if expected is None:
        assert findings == []
    else:
        [finding] = findings
        assert (finding.kind, finding.severity, finding.epoch) == ("suspicious_config", "error", 0)
        assert finding.evidence["validation_rows_in_training"] == pytest.approx(expected)
        assert finding.evidence["validation_rows"] == 512
        assert setup_data.is_validation_copy(finding)


def test_repeated_training_rows_are_not_judged():
    train = np.repeat(_fingerprints(100), 3)  # coarse data: every row three times
    assert check_validation_fingerprints(train, train[:200]) == []


def test_too_few_validation_rows_are_not_judged():
    train = _fingerprints(100)
    assert check_validation_fingerprints(train, train[:setup_data.MIN_ROWS_COPY - 1]) == []
    assert len(check_validation_fingerprints(train, train[:setup_data.MIN_ROWS_COPY])) == 1


def test_whole_rows_follow_the_same_rule():
    rows = np.random.default_rng(2).normal(size=(300, 5))
    shuffled = rows[np.random.default_rng(3).permutation(300)].astype("float32").astype("float64")
    assert [f.kind for f in check_validation_copy(rows.astype("float32"), shuffled)] == ["suspicious_config"]
    assert check_validation_copy(rows[:200], rows[200:]) == []
    assert check_validation_copy(None, rows) == []
