"""`balanced_dataset`: proportions, epochs, determinism, SMOTE in the pipeline, model.fit, errors."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from zoo.data import balanced_dataset


def imbalanced(n=(900, 80, 20), features=4, seed=0):
    rng = np.random.RandomState(seed)
    y = np.repeat(np.arange(len(n)), n)
    return rng.normal(size=(len(y), features)).astype(np.float32) + y[:, None], y


def _labels(dataset, repeats=1):
    return np.concatenate([labels.numpy() for _, labels in dataset.repeat(repeats)])


BALANCED = ("balanced", [1 / 3, 1 / 3, 1 / 3])
WEIGHTED = ({0: 0.5, 1: 0.3, 2: 0.2}, [0.5, 0.3, 0.2])
SUBSET = ({1: 1, 2: 3}, [0, 0.25, 0.75])


@pytest.mark.parametrize(
    "from_dataset,target,expected",
    [
        pytest.param(False, *BALANCED, id="arrays-balanced"),
        pytest.param(False, *WEIGHTED, id="arrays-weighted"),
        pytest.param(True, *BALANCED, id="tf_data-balanced"),
        pytest.param(False, *SUBSET, id="arrays-subset", marks=pytest.mark.slow),
        pytest.param(True, *WEIGHTED, id="tf_data-weighted", marks=pytest.mark.slow),
        pytest.param(True, *SUBSET, id="tf_data-subset", marks=pytest.mark.slow),
    ],
)
def test_proportions_within_two_percent_over_100_batches(from_dataset, target, expected):
    X, y = imbalanced()
    source = (tf.data.Dataset.from_tensor_slices((X, y)),) if from_dataset else (X, y)
    dataset = balanced_dataset(*source, batch_size=30, target_distribution=target, steps_per_epoch=100, seed=0)
    labels = _labels(dataset)
    assert len(labels) == 3000
    proportions = np.bincount(labels, minlength=3) / len(labels)
    np.testing.assert_allclose(proportions, expected, atol=0.02)


def test_batches_match_the_target_counts_exactly_where_they_can():
    X, y = imbalanced()
    dataset = balanced_dataset(X, y, batch_size=30, seed=0, steps_per_epoch=5)
    for _, labels in dataset:
        np.testing.assert_array_equal(np.bincount(labels.numpy(), minlength=3), [10, 10, 10])


def test_cardinality_is_the_number_of_steps():
    X, y = imbalanced()
    dataset = balanced_dataset(X, y, batch_size=64)
    assert int(dataset.cardinality()) == math.ceil(len(y) / 64)
    assert sum(1 for _ in dataset) == math.ceil(len(y) / 64)
    assert int(balanced_dataset(X, y, batch_size=64, steps_per_epoch=7).cardinality()) == 7


def test_samples_are_rows_of_x_with_their_labels():
    X, y = imbalanced()
    for features, labels in balanced_dataset(X, y, batch_size=32, seed=0, steps_per_epoch=10):
        rows = np.argmin(((features.numpy()[:, None, :] - X[None]) ** 2).sum(-1), axis=1)
        np.testing.assert_array_equal(X[rows], features.numpy())
        np.testing.assert_array_equal(y[rows], labels.numpy())


def test_minority_samples_are_cycled_through_evenly():
    X, y = imbalanced()
    seen = []
    for features, labels in balanced_dataset(X, y, batch_size=30, seed=0, steps_per_epoch=20):
        minority = features.numpy()[labels.numpy() == 2]
        seen.extend(np.argmin(((minority[:, None, :] - X[None]) ** 2).sum(-1), axis=1))
    counts = np.bincount(seen, minlength=len(y))[y == 2]
    assert counts.min() == counts.max() == 10  # 20 batches x 10 slots = 10 passes over 20 samples


def test_deterministic_with_a_seed_and_reshuffled_every_epoch():
    X, y = imbalanced()

    def features(dataset):
        return np.concatenate([batch.numpy() for batch, _ in dataset])

    def build(seed):
        return balanced_dataset(X, y, batch_size=32, seed=seed, steps_per_epoch=4)

    first = build(3)
    epoch_0 = features(first)
    np.testing.assert_array_equal(epoch_0, features(build(3)))
    assert not np.array_equal(epoch_0, features(first))
    assert not np.array_equal(epoch_0, features(build(4)))


def test_smote_samples_lie_between_a_sample_and_a_nearest_same_class_neighbour():
    X, y = imbalanced(features=3)
    k = 3
    dataset = balanced_dataset(X, y, batch_size=30, seed=0, steps_per_epoch=8, smote_fraction=1.0, k_neighbors=k)
    for label in (1, 2):
        X_class = X[y == label].astype(np.float64)
        distances = ((X_class[:, None] - X_class[None]) ** 2).sum(-1)
        np.fill_diagonal(distances, np.inf)
        neighbours = np.argsort(distances, axis=1)[:, :k]
        starts, ends = np.repeat(X_class, k, axis=0), X_class[neighbours.ravel()]
        direction = ends - starts
        points = np.concatenate([f.numpy()[l.numpy() == label] for f, l in dataset]).astype(np.float64)
        t = np.clip(np.einsum("psd,sd->ps", points[:, None] - starts[None], direction) / (direction**2).sum(1), 0, 1)
        gap = np.sqrt(((points[:, None] - starts[None] - t[..., None] * direction[None]) ** 2).sum(-1)).min(1)
        assert gap.max() < 1e-5
        assert not all((points[i] == X_class).all(1).any() for i in range(10))  # really synthetic
    majority = np.concatenate([f.numpy()[l.numpy() == 0] for f, l in dataset])
    assert all((row == X).all(1).any() for row in majority[:20])  # the majority is not synthesised


def test_feeds_model_fit_for_several_epochs():
    X, y = imbalanced()
    dataset = balanced_dataset(X, y, batch_size=50, seed=0, steps_per_epoch=4)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(dataset, epochs=2, verbose=0)
    assert len(history.history["loss"]) == 2 and np.isfinite(history.history["loss"]).all()


def test_image_shaped_features_keep_their_shape():
    X, y = imbalanced(features=16)
    images = X.reshape(-1, 4, 4, 1)
    features, _ = next(iter(balanced_dataset(images, y, batch_size=8, smote_fraction=0.5, seed=0)))
    assert features.shape == (8, 4, 4, 1)


def test_bad_input_is_named():
    X, y = imbalanced()
    with pytest.raises(ValueError, match="Received: y=None"):
        balanced_dataset(X)
    with pytest.raises(ValueError, match="Received: y="):
        balanced_dataset(X, y[:-1])
    with pytest.raises(ValueError, match="Received: y="):
        balanced_dataset(X, np.eye(3)[y])
    bad = X.copy()
    bad[3, 1] = np.nan
    with pytest.raises(ValueError, match="Received: x="):
        balanced_dataset(bad, y)
    with pytest.raises(ValueError, match="Received: target_distribution="):
        balanced_dataset(X, y, target_distribution={7: 1.0})
    with pytest.raises(TypeError, match="Received: target_distribution="):
        balanced_dataset(X, y, target_distribution=[1, 2, 3])
    with pytest.raises(ValueError, match="Received: batch_size=0"):
        balanced_dataset(X, y, batch_size=0)
    with pytest.raises(ValueError, match="Received: k_neighbors=20"):
        balanced_dataset(X, y, smote_fraction=0.5, k_neighbors=20)
    with pytest.raises(ValueError, match="Received: smote_fraction="):
        balanced_dataset(tf.data.Dataset.from_tensor_slices((X, y)), smote_fraction=0.5)


@pytest.mark.slow
def test_feeds_fit_under_mirrored_strategy(mirrored_strategy):
    X, y = imbalanced()
    dataset = balanced_dataset(X, y, batch_size=32, seed=0, steps_per_epoch=3)
    with mirrored_strategy.scope():
        model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
        model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(dataset, epochs=2, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
