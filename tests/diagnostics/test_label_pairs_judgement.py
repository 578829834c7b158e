"""`check_label_pairs`: the share of rows seen in two passes whose label changed between them."""

import numpy as np
import pytest

from diagnostics import setup_data
from diagnostics.setup_data import check_label_pairs


def _pairs(rows, labels):
    return np.stack([np.asarray(rows, np.int32), np.asarray(labels, np.int32)], axis=1)


@pytest.mark.parametrize("changed, expected", [(0, None), (39, None), (40, 40), (200, 200)])
def test_changed_labels_are_counted_among_the_rows_seen_twice(changed, expected):
    rows = np.random.default_rng(0).choice(2**30, size=400, replace=False)
    labels = np.arange(400) % 7
    first = _pairs(rows, labels)
    # The second pass sees 200 of the rows (and 50 new ones); `changed` of the 200 with label + 1.
    again = labels[:200].copy()
    again[:changed] = (again[:changed] + 1) % 7
    second = np.concatenate([_pairs(rows[:200], again), _pairs(np.arange(50) * 2 + 1, np.zeros(50))])
    findings = check_label_pairs(first, second[::-1], output_layer="out")
    if expected is None:
        assert findings == []
        return
    [finding] = findings
    assert (finding.kind, finding.severity, finding.layer) == ("label_mismatch", "error", "out")
    assert finding.evidence == {"relabelled_rows": expected, "rechecked_rows": 200,
                                "relabelled_share": pytest.approx(expected / 200)}


def test_a_row_repeated_with_two_labels_keeps_either_of_them():
    rows = np.repeat(np.arange(100) * 3, 2)  # every row twice, labelled 0 and 1 (noisy data)
    first = _pairs(rows, np.tile([0, 1], 100))
    second = _pairs(np.arange(100) * 3, np.arange(100) % 2)
    assert check_label_pairs(first, second) == []


def test_too_few_rows_seen_twice_are_not_judged():
    count = setup_data.MIN_RECHECKED_ROWS
    first = _pairs(np.arange(count), np.zeros(count))
    assert check_label_pairs(first, _pairs(np.arange(count - 1), np.ones(count - 1))) == []
    assert len(check_label_pairs(first, _pairs(np.arange(count), np.ones(count)))) == 1
    assert check_label_pairs(None, first) == [] and check_label_pairs(first, None) == []


def test_negative_fingerprints_are_told_apart():
    rows = -np.arange(1, 101)  # int32 fingerprints are signed: the pair key must keep the sign
    first = _pairs(rows, -np.ones(100))
    assert check_label_pairs(first, _pairs(rows, -np.ones(100))) == []
    assert check_label_pairs(first, _pairs(rows, np.ones(100)))[0].evidence["relabelled_rows"] == 100
