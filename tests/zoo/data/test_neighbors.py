"""Exact k nearest neighbours against scikit-learn's ball tree (float64 differences)."""

import numpy as np
import pytest
from sklearn.neighbors import NearestNeighbors

from zoo.data._neighbors import kneighbors

K = 5


def _reference_distances(X, k):
    """The k smallest squared distances to other rows, from scikit-learn's ball tree."""
    X = X.astype(np.float64)
    distances, _ = NearestNeighbors(n_neighbors=k + 1, algorithm="ball_tree").fit(X).kneighbors(X)
    # The query itself is one of the zero distances; drop one zero (duplicates keep theirs).
    return np.sort(distances**2, axis=1)[:, 1:]


def _assert_exact(X, found, k):
    rows = np.arange(len(X))
    assert found.shape == (len(X), k)
    assert not (found == rows[:, None]).any(), "a point is returned as its own neighbour"
    ours = ((X.astype(np.float64)[:, None, :] - X.astype(np.float64)[found]) ** 2).sum(-1)
    np.testing.assert_allclose(ours, _reference_distances(X, k), rtol=1e-12, atol=0)


def _gaussian(mean, scale, n=2000, features=8, seed=0):
    return np.random.RandomState(seed).normal(size=(n, features)) * scale + mean


CASES = {
    "centred": _gaussian(0.0, 1.0),
    "offset 2000, sd 1": _gaussian(2000.0, 1.0),
    "offset 1e6, sd 1": _gaussian(1e6, 1.0),
    "offset 1e6, sd 10, float32": _gaussian(1e6, 10.0).astype(np.float32),
    "mixed scales 1e-3 to 1e6": _gaussian(1e5, np.array([1e6, 1.0, 1e-3, 1.0, 1e3, 1.0, 10.0, 1.0])),
    "every row four times, offset 2000": np.repeat(_gaussian(2000.0, 1.0, n=500), 4, axis=0),
    "two clusters 2e4 apart, offset 1e6": _gaussian(1e6, 1.0) + np.repeat([[0.0], [2e4]], 1000, axis=0),
    "integer grid (many exact ties)": np.random.RandomState(1).randint(0, 4, size=(1000, 3)).astype(np.float64),
}


@pytest.mark.parametrize("name", list(CASES))
def test_neighbours_are_exact_at_any_offset_and_scale(name):
    X = CASES[name]
    found = kneighbors(X, X, K, query_ids=np.arange(len(X))).numpy()
    _assert_exact(X, found, K)


def test_small_blocks_and_k_close_to_the_class_size():
    X = _gaussian(5e5, 3.0, n=40, features=4, seed=2)
    for k in (1, 20, 39):
        found = kneighbors(X, X, k, query_ids=np.arange(len(X)), max_block_elements=64).numpy()
        _assert_exact(X, found, k)


def test_queries_outside_the_reference_keep_every_row():
    reference = _gaussian(2000.0, 1.0, n=300, features=5, seed=3)
    queries = _gaussian(2000.0, 1.0, n=50, features=5, seed=4)
    found = kneighbors(queries, reference, 3).numpy()
    distances = ((queries[:, None, :] - reference[found]) ** 2).sum(-1)
    expected, _ = NearestNeighbors(n_neighbors=3, algorithm="ball_tree").fit(reference).kneighbors(queries)
    np.testing.assert_allclose(distances, expected**2, rtol=1e-12)
