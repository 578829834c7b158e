"""The samplers against imbalanced-learn on the same data: counts, originals, tensors, errors."""

import imblearn.over_sampling
import imblearn.under_sampling
import numpy as np
import pytest
import scipy.stats
import tensorflow as tf
from imblearn.pipeline import make_pipeline
from sklearn.linear_model import LogisticRegression
from sklearn.neighbors import NearestNeighbors

from zoo.data import SMOTE, BorderlineSMOTE, RandomOverSampler, RandomUnderSampler

OVER = [
    (SMOTE, imblearn.over_sampling.SMOTE, {}),
    (BorderlineSMOTE, imblearn.over_sampling.BorderlineSMOTE, {"kind": "borderline-1"}),
    (BorderlineSMOTE, imblearn.over_sampling.BorderlineSMOTE, {"kind": "borderline-2"}),
    (RandomOverSampler, imblearn.over_sampling.RandomOverSampler, {}),
]
UNDER = [(RandomUnderSampler, imblearn.under_sampling.RandomUnderSampler, {})]
OVER_STRATEGIES = ["auto", "minority", "not minority", "not majority", "all", {1: 100, 2: 60}, lambda y: {1: 90}]
UNDER_STRATEGIES = ["auto", "majority", "not minority", "not majority", "all", {0: 40, 1: 20}, lambda y: {0: 25}]


def three_classes(seed=0):
    rng = np.random.RandomState(seed)
    y = np.repeat([0, 1, 2], [250, 30, 20])
    X = rng.normal(size=(300, 3)) + y[:, None] * 0.8  # overlapping classes: many in danger
    return X, y


def two_classes(seed=0):
    rng = np.random.RandomState(seed)
    y = np.repeat([0, 1], [200, 40])
    return rng.normal(size=(240, 2)) + y[:, None], y


def _counts(y):
    labels, counts = np.unique(y, return_counts=True)
    return dict(zip(labels.tolist(), counts.tolist()))


def _resample_both(ours, theirs, kwargs, strategy, X, y):
    ours_out = ours(sampling_strategy=strategy, random_state=0, **kwargs).fit_resample(X, y)
    theirs_out = theirs(sampling_strategy=strategy, random_state=0, **kwargs).fit_resample(X, y)
    return ours_out, theirs_out


@pytest.mark.parametrize("ours,theirs,kwargs", OVER)
def test_over_samplers_match_imblearn_counts_and_keep_originals(ours, theirs, kwargs):
    for strategy in OVER_STRATEGIES + [0.5]:
        X, y = two_classes() if strategy == 0.5 else three_classes()
        (X_ours, y_ours), (_, y_theirs) = _resample_both(ours, theirs, kwargs, strategy, X, y)
        assert _counts(y_ours) == _counts(y_theirs), strategy
        assert len(y_ours) > len(y), strategy
        np.testing.assert_array_equal(X_ours[: len(X)], X)
        np.testing.assert_array_equal(y_ours[: len(y)], y)
        assert X_ours.dtype == X.dtype and y_ours.dtype == y.dtype


@pytest.mark.parametrize("ours,theirs,kwargs", UNDER)
@pytest.mark.parametrize("replacement", [False, True])
def test_under_sampler_matches_imblearn_counts(ours, theirs, kwargs, replacement):
    kwargs = {**kwargs, "replacement": replacement}
    for strategy in UNDER_STRATEGIES + [0.5]:
        X, y = two_classes() if strategy == 0.5 else three_classes()
        (_, y_ours), (_, y_theirs) = _resample_both(ours, theirs, kwargs, strategy, X, y)
        assert _counts(y_ours) == _counts(y_theirs), strategy
        assert len(y_ours) < len(y), strategy
        sampler = ours(sampling_strategy=strategy, random_state=0, **kwargs)
        X_ours, y_ours = sampler.fit_resample(X, y)
        np.testing.assert_array_equal(X_ours, X[sampler.sample_indices_])
        np.testing.assert_array_equal(y_ours, y[sampler.sample_indices_])
        if not replacement:
            assert len(np.unique(sampler.sample_indices_)) == len(sampler.sample_indices_)


def test_random_over_sampler_copies_are_samples_of_their_class():
    X, y = three_classes()
    sampler = RandomOverSampler(random_state=0)
    X_res, y_res = sampler.fit_resample(X, y)
    np.testing.assert_array_equal(X_res, X[sampler.sample_indices_])
    np.testing.assert_array_equal(y_res, y[sampler.sample_indices_])


def _noise_scale(sampler, X, y):
    """Per class, the standard deviation per feature of (new sample - the sample it copies)."""
    X_res, y_res = sampler.fit_resample(X, y)
    noise = X_res[len(X):] - X[sampler.sample_indices_[len(X):]]
    labels = y_res[len(X):]
    return {label: noise[labels == label].std(axis=0) for label in np.unique(labels)}


@pytest.mark.parametrize("shrinkage", [1.0, {1: 1.0, 2: 1.0}, {1: 0.3, 2: 2.5}])
def test_random_over_sampler_shrinkage_noise_scale_matches_imblearn(shrinkage):
    # Classes of 60 and 40 among 1,600 rows, features on scales 0.1 to 100: the bandwidth uses
    # the whole data set's size and ddof=0, which a per-class size would make ~1.6x larger.
    rng = np.random.RandomState(0)
    y = np.repeat([0, 1, 2], [1500, 60, 40])
    X = rng.normal(size=(1600, 4)) * np.array([0.1, 1.0, 10.0, 100.0]) + y[:, None]
    ours = RandomOverSampler(random_state=0, shrinkage=shrinkage)
    theirs = imblearn.over_sampling.RandomOverSampler(random_state=0, shrinkage=shrinkage)
    ours_scale, theirs_scale = _noise_scale(ours, X, y), _noise_scale(theirs, X, y)
    assert ours.shrinkage_ == theirs.shrinkage_
    assert sorted(ours_scale) == [1, 2]
    for label in (1, 2):
        # About 1,450 noise draws per class and feature: sampling error of a std ~2%.
        np.testing.assert_allclose(ours_scale[label], theirs_scale[label], rtol=0.1)


def test_random_over_sampler_without_shrinkage_copies_exactly():
    X, y = three_classes()
    sampler = RandomOverSampler(random_state=0)
    X_res, _ = sampler.fit_resample(X, y)
    assert sampler.shrinkage_ is None
    np.testing.assert_array_equal(X_res, X[sampler.sample_indices_])


def _segment_distance(points, starts, ends):
    """Distance of every point to every segment [start, end]: (n_points, n_segments)."""
    direction = ends - starts
    length_sq = np.maximum((direction**2).sum(1), 1e-300)
    t = np.einsum("psd,sd->ps", points[:, None, :] - starts[None], direction) / length_sq
    t = np.clip(t, 0.0, 1.0)
    closest = starts[None] + t[..., None] * direction[None]
    return np.sqrt(((points[:, None, :] - closest) ** 2).sum(-1))


def _brute_force_segments(X_class, k, candidates=None):
    distances = ((X_class[:, None, :] - X_class[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(distances, np.inf)
    neighbours = np.argsort(distances, axis=1, kind="stable")[:, :k]
    rows = np.arange(len(X_class)) if candidates is None else candidates
    starts = np.repeat(X_class[rows], k, axis=0)
    ends = X_class[neighbours[rows].ravel()]
    return starts, ends


@pytest.mark.parametrize("k", [1, 5])
@pytest.mark.parametrize("offset", [0.0, 2000.0])
def test_every_smote_sample_lies_on_a_segment_to_a_true_nearest_neighbour(k, offset):
    X, y = three_classes(seed=1)
    X = X + offset  # raw features far from the origin (years, prices)
    X_res, y_res = SMOTE(k_neighbors=k, random_state=3).fit_resample(X, y)
    for label in (1, 2):
        X_class = X[y == label]
        new = X_res[len(X):][y_res[len(X):] == label]
        assert len(new) > 0
        starts, ends = _brute_force_segments(X_class, k)
        nearest = _segment_distance(new, starts, ends).min(axis=1)
        assert nearest.max() < 1e-9
        # And not on segments to the (k+1)-th neighbour only: the reference is exact.
        if k == 1:
            far_starts, far_ends = _brute_force_segments(X_class, 2)
            far_starts, far_ends = far_starts[1::2], far_ends[1::2]
            assert (_segment_distance(new, far_starts, far_ends).min(axis=1) > 1e-9).any()


def test_borderline_samples_start_from_samples_in_danger():
    X, y = three_classes(seed=2)
    sampler = BorderlineSMOTE(random_state=0, k_neighbors=3, m_neighbors=8)
    X_res, y_res = sampler.fit_resample(X, y)
    reference = imblearn.over_sampling.BorderlineSMOTE(random_state=0, k_neighbors=3, m_neighbors=8)
    reference.fit_resample(X, y)
    for label, danger in sampler.in_danger_indices.items():
        np.testing.assert_array_equal(np.sort(danger), np.sort(reference.in_danger_indices[label]))
        X_class = X[y == label]
        positions = np.searchsorted(np.flatnonzero(y == label), danger)
        starts, ends = _brute_force_segments(X_class, 3, candidates=positions)
        new = X_res[len(X):][y_res[len(X):] == label]
        assert _segment_distance(new, starts, ends).min(axis=1).max() < 1e-9


def _nearest_rows(X, rows, k):
    """Exact k nearest rows of X (float64 differences, self excluded) for each of `rows`."""
    distances = ((X[rows][:, None, :] - X[None]) ** 2).sum(-1)
    distances[np.arange(len(rows)), rows] = np.inf
    return np.argsort(distances, axis=1, kind="stable")[:, :k]


def _product_of_uniforms_cdf(t):
    """P(u * v <= t) for u ~ U[0, 1) and v ~ U[0, 0.5) (derived by integration), t in (0, 0.5]."""
    return 2 * t * (1 - np.log(2 * t))


def test_borderline_2_steps_follow_imblearn_distribution():
    # imbalanced-learn 0.14 moves u ~ U[0, 1) of the way towards a neighbour of the same class,
    # and u * v, v ~ U[0, 0.5), towards a neighbour of another class.
    rng = np.random.RandomState(4)
    y = np.repeat([0, 1], [600, 150])
    X = rng.normal(size=(750, 2)) + 0.5 * y[:, None]
    sampler = BorderlineSMOTE(kind="borderline-2", k_neighbors=5, m_neighbors=10, random_state=0)
    X_res, _ = sampler.fit_resample(X, y)
    danger = sampler.in_danger_indices[1]
    ends = _nearest_rows(X, danger, 5).ravel()
    starts = np.repeat(danger, 5)
    new = X_res[len(X):]
    distances = _segment_distance(new, X[starts], X[ends])
    segment = distances.argmin(axis=1)
    assert distances.min(axis=1).max() < 1e-9
    direction = X[ends[segment]] - X[starts[segment]]
    t = ((new - X[starts[segment]]) * direction).sum(1) / (direction**2).sum(1)
    other = y[ends[segment]] != 1
    assert 50 < other.sum() < len(new) - 50
    assert scipy.stats.kstest(t[~other], "uniform").pvalue > 0.01
    assert t[other].max() < 0.5
    assert scipy.stats.kstest(t[other], _product_of_uniforms_cdf).pvalue > 0.01


def test_neighbours_objects_are_used_as_imblearn_uses_them():
    X, y = three_classes(seed=2)
    for kwargs in ({"k_neighbors": NearestNeighbors(n_neighbors=4)}, {"m_neighbors": NearestNeighbors(n_neighbors=9)}):
        ours = BorderlineSMOTE(random_state=0, **kwargs)
        theirs = imblearn.over_sampling.BorderlineSMOTE(random_state=0, **kwargs)
        _, y_ours = ours.fit_resample(X, y)
        _, y_theirs = theirs.fit_resample(X, y)
        assert _counts(y_ours) == _counts(y_theirs)
        for label, danger in theirs.in_danger_indices.items():
            np.testing.assert_array_equal(np.sort(ours.in_danger_indices[label]), np.sort(danger))
    estimator = NearestNeighbors(n_neighbors=4)
    X_res, y_res = SMOTE(k_neighbors=estimator, random_state=3).fit_resample(X, y)
    assert not hasattr(estimator, "n_samples_fit_"), "the object given is cloned, not fitted"
    for label in (1, 2):
        starts, ends = _brute_force_segments(X[y == label], 3)
        new = X_res[len(X):][y_res[len(X):] == label]
        assert _segment_distance(new, starts, ends).min(axis=1).max() < 1e-9


def test_neighbours_argument_of_the_wrong_kind_names_it():
    X, y = three_classes()
    with pytest.raises(TypeError, match="Received: k_neighbors='five'"):
        SMOTE(k_neighbors="five").fit_resample(X, y)
    with pytest.raises(TypeError, match="Received: m_neighbors=None"):
        BorderlineSMOTE(m_neighbors=None).fit_resample(X, y)


def test_tensors_in_tensors_out():
    X, y = three_classes()
    for sampler_class in (SMOTE, BorderlineSMOTE, RandomOverSampler, RandomUnderSampler):
        X_res, y_res = sampler_class(random_state=0).fit_resample(tf.constant(X, tf.float32), tf.constant(y))
        assert tf.is_tensor(X_res) and tf.is_tensor(y_res)
        assert X_res.dtype == tf.float32 and y_res.dtype == tf.int64
        np_X, np_y = sampler_class(random_state=0).fit_resample(X.astype(np.float32), y)
        np.testing.assert_array_equal(X_res.numpy(), np_X)
        np.testing.assert_array_equal(y_res.numpy(), np_y)


def test_same_random_state_same_output_and_different_state_differs():
    X, y = three_classes()
    first = SMOTE(random_state=7).fit_resample(X, y)[0]
    np.testing.assert_array_equal(first, SMOTE(random_state=7).fit_resample(X, y)[0])
    assert not np.array_equal(first, SMOTE(random_state=8).fit_resample(X, y)[0])


def test_drops_into_an_imblearn_pipeline():
    X, y = three_classes()
    for sampler in (SMOTE(random_state=0), BorderlineSMOTE(random_state=0), RandomUnderSampler(random_state=0)):
        pipeline = make_pipeline(sampler, LogisticRegression(max_iter=200)).fit(X, y)
        assert pipeline.predict(X).shape == y.shape
        assert pipeline.named_steps[type(sampler).__name__.lower()].sampling_strategy_


def test_one_hot_targets_come_back_one_hot():
    X, y = three_classes()
    one_hot = np.eye(3, dtype=int)[y]
    _, y_res = SMOTE(random_state=0).fit_resample(X, one_hot)
    assert y_res.shape == (750, 3) and (y_res.sum(axis=1) == 1).all()


BAD_INPUTS = (
    (lambda X, y: (X[:10], y), "y"),
    (lambda X, y: (np.where(X > 2.0, np.nan, X), y), "X"),
    (lambda X, y: (np.where(X > 2.0, np.inf, X), y), "X"),
    (lambda X, y: (X, y + 0.5), "y"),
    (lambda X, y: (X, np.zeros_like(y)), "y"),
    (lambda X, y: (X, np.array([[1, 1, 0]] * len(y))), "y"),
    (lambda X, y: (X[:, 0], y), "X"),
)


def test_bad_input_names_the_argument():
    for sampler_class in (SMOTE, RandomOverSampler, RandomUnderSampler, BorderlineSMOTE):
        for make_bad, argument in BAD_INPUTS:
            X, y = make_bad(*three_classes())
            with pytest.raises(ValueError, match=rf"Received: {argument}="):
                sampler_class().fit_resample(X, y)


def test_too_few_samples_for_k_neighbors_names_class_and_value():
    X, y = three_classes()
    with pytest.raises(ValueError, match=r"class 2 has 20 sample\(s\).*Received: k_neighbors=20"):
        SMOTE(k_neighbors=20).fit_resample(X, y)
    with pytest.raises(TypeError, match="Received: k_neighbors=2.5"):
        SMOTE(k_neighbors=2.5).fit_resample(X, y)


def test_nan_in_tensor_is_rejected():
    X, y = three_classes()
    X[5, 1] = np.nan
    with pytest.raises(ValueError, match=r"row 5, column 1"):
        SMOTE().fit_resample(tf.constant(X), tf.constant(y))
