"""Tests of the offline datasets and of the TFDS wrapper (with `tfds.testing.mock_data`)."""

import numpy as np
import pytest
import sklearn.datasets

from zoo import datasets

# -- digits ----------------------------------------------------------------------------------


def test_digits_splits_are_stratified_seeded_and_complete():
    (x, y), (x_val, y_val), (x_test, y_test) = datasets.load_digits()
    assert x.shape[1:] == x_val.shape[1:] == x_test.shape[1:] == (8, 8, 1)
    assert x.dtype == np.float32 and y.dtype == np.int32
    assert len(x) + len(x_val) + len(x_test) == 1797
    assert len(x_test) == pytest.approx(0.2 * 1797, abs=1)
    assert len(x_val) == pytest.approx(0.1 * 1797, abs=1)
    # Stratified: every split has each class in about the same proportion.
    shares = [np.bincount(labels, minlength=10) / len(labels) for labels in (y, y_val, y_test)]
    assert np.max(np.abs(shares[0] - shares[1])) < 0.02
    assert np.max(np.abs(shares[0] - shares[2])) < 0.02
    # Every example lands in exactly one split.
    full = np.bincount(sklearn.datasets.load_digits().target)
    np.testing.assert_array_equal(sum(np.bincount(labels) for labels in (y, y_val, y_test)), full)

    (again, _), _, _ = datasets.load_digits()
    (other, _), _, _ = datasets.load_digits(seed=1)
    np.testing.assert_array_equal(x, again)
    assert not np.array_equal(x, other)


@pytest.mark.parametrize(
    "scale, low, high",
    [("unit", 0.0, 1.0), ("symmetric", -1.0, 1.0), ("none", 0.0, 16.0), (None, 0.0, 16.0)],
)
def test_digits_scaling(scale, low, high):
    (x, _), _, (x_test, _) = datasets.load_digits(layout="flat", scale=scale)
    assert x.shape[1:] == (64,)
    assert x.min() == low and x.max() == high
    assert x_test.min() >= low and x_test.max() <= high


def test_digits_standard_scaling_uses_training_statistics():
    (x, _), _, (x_test, _) = datasets.load_digits(layout="flat", scale="standard")
    varying = x.std(axis=0) > 0
    np.testing.assert_allclose(x.mean(axis=0), 0.0, atol=1e-5)
    np.testing.assert_allclose(x.std(axis=0)[varying], 1.0, atol=1e-4)
    assert np.all(np.isfinite(x_test))


def test_long_tail_imbalance_applies_to_training_only():
    (x, y), (x_val, y_val), (x_test, y_test) = datasets.load_digits(imbalance_ratio=40)
    _, (_, balanced_val), (_, balanced_test) = datasets.load_digits()
    counts = np.bincount(y, minlength=10)
    assert np.all(np.diff(counts) <= 0)  # Class 0 is the head, class 9 the tail.
    assert counts[0] / counts[-1] == pytest.approx(40, rel=0.3)
    assert len(x) == counts.sum() < 1797 * 0.7 / 2
    np.testing.assert_array_equal(y_val, balanced_val)
    np.testing.assert_array_equal(y_test, balanced_test)


def test_long_tail_counts_decay_geometrically():
    keep = datasets.long_tail_counts([100] * 5, imbalance_ratio=16)
    np.testing.assert_array_equal(keep, [100, 50, 25, 12, 6])
    np.testing.assert_array_equal(datasets.long_tail_counts([3, 3], 100), [3, 1])


BAD_ARGUMENTS = [
    ({"layout": "sequence"}, ValueError, "layout"),
    ({"scale": "minmax"}, ValueError, "scale"),
    ({"validation_split": 1.0}, ValueError, "validation_split"),
    ({"test_split": "0.2"}, TypeError, "test_split"),
    ({"validation_split": 0.5, "test_split": 0.45}, ValueError, "validation_split"),
    ({"imbalance_ratio": 0.5}, ValueError, "imbalance_ratio"),
    ({"seed": -1}, ValueError, "seed"),
]


def test_digits_bad_arguments(subtests):
    for kwargs, error, argument in BAD_ARGUMENTS:
        with subtests.test(**kwargs):
            with pytest.raises(error, match=f"Received: {argument}="):
                datasets.load_digits(**kwargs)


def test_digits_without_validation_or_test_split():
    (x, _), (x_val, y_val), (x_test, _) = datasets.load_digits(validation_split=0.0, test_split=0.0)
    assert len(x) == 1797 and x_val.shape == (0, 8, 8, 1) and len(y_val) == 0 and len(x_test) == 0


# -- 2-D toy sets ----------------------------------------------------------------------------


def test_xor_is_the_truth_table_without_noise():
    x, y = datasets.make_xor(n_samples=4, noise=0.0)
    table = {tuple(point): label for point, label in zip(x.tolist(), y.tolist())}
    assert table == {(0.0, 0.0): 0, (0.0, 1.0): 1, (1.0, 0.0): 1, (1.0, 1.0): 0}

    x, y = datasets.make_xor(n_samples=400, noise=0.1, seed=1)
    assert x.shape == (400, 2) and x.dtype == np.float32 and y.dtype == np.int32
    np.testing.assert_array_equal(y, np.round(x[:, 0]).astype(int) ^ np.round(x[:, 1]).astype(int))
    assert np.bincount(y).tolist() == [200, 200]


@pytest.mark.parametrize("maker", [datasets.make_moons, datasets.make_circles, datasets.make_spirals])
def test_two_dimensional_sets(maker):
    x, y = maker(n_samples=101, seed=2)
    assert x.shape == (101, 2) and x.dtype == np.float32 and y.dtype == np.int32
    assert set(np.unique(y)) == {0, 1}
    np.testing.assert_array_equal(x, maker(n_samples=101, seed=2)[0])
    assert not np.array_equal(x, maker(n_samples=101, seed=3)[0])


def test_spirals_interleave():
    x, y = datasets.make_spirals(n_samples=2000, noise=0.0, turns=1.0)
    radius = np.hypot(x[:, 0], x[:, 1])
    angle = np.arctan2(x[:, 1], x[:, 0])
    # Noise-free, each point lies on its spiral: angle = 2*pi*turns*r + pi*label (mod 2*pi).
    expected = 2 * np.pi * radius + np.pi * y
    np.testing.assert_allclose(np.cos(angle - expected), 1.0, atol=1e-4)


@pytest.mark.parametrize(
    "maker, kwargs, argument",
    [
        (datasets.make_xor, {"n_samples": 0}, "n_samples"),
        (datasets.make_xor, {"noise": -1.0}, "noise"),
        (datasets.make_moons, {"n_samples": "100"}, "n_samples"),
        (datasets.make_circles, {"factor": 1.0}, "factor"),
        (datasets.make_spirals, {"turns": 0}, "turns"),
    ],
)
def test_toy_set_bad_arguments(maker, kwargs, argument):
    with pytest.raises((ValueError, TypeError), match=f"Received: {argument}="):
        maker(**kwargs)


# -- long-range dependencies -----------------------------------------------------------------


def test_adding_problem():
    x, y = datasets.make_adding_problem(n_samples=4000, timesteps=30, seed=0)
    assert x.shape == (4000, 30, 2) and y.shape == (4000, 1)
    markers = x[:, :, 1]
    np.testing.assert_array_equal(markers.sum(axis=1), 2.0)
    np.testing.assert_array_equal(markers[:, :15].sum(axis=1), 1.0)  # One marker in each half.
    np.testing.assert_allclose(y[:, 0], (x[:, :, 0] * markers).sum(axis=1), rtol=1e-6)
    # The classic baseline: always predicting 1 gives a mean squared error of about 1/6.
    assert np.mean((y - 1.0) ** 2) == pytest.approx(1 / 6, abs=0.01)
    with pytest.raises(ValueError, match="Received: timesteps=1"):
        datasets.make_adding_problem(timesteps=1)


def test_copy_task():
    x, y = datasets.make_copy_task(n_samples=50, timesteps=7, sequence_length=4, num_symbols=5, seed=0)
    steps = 7 + 2 * 4
    assert x.shape == (50, steps, 7) and y.shape == (50, steps)
    codes = x.argmax(axis=-1)
    np.testing.assert_array_equal(y[:, -4:], codes[:, :4])  # The output copies the input symbols.
    assert np.all(y[:, :-4] == 0)
    assert np.all(codes[:, 4 + 7 - 1] == 6)  # The delimiter, after the delay.
    assert np.all(codes[:, 4:4 + 6] == 0) and np.all(codes[:, -4:] == 0)
    assert codes[:, :4].min() >= 1 and codes[:, :4].max() <= 5

    codes_only, _ = datasets.make_copy_task(n_samples=50, timesteps=7, sequence_length=4, num_symbols=5,
                                            one_hot=False, seed=0)
    np.testing.assert_array_equal(codes_only, codes)
    with pytest.raises(TypeError, match="Received: one_hot=1"):
        datasets.make_copy_task(one_hot=1)


# -- TensorFlow Datasets ---------------------------------------------------------------------


@pytest.fixture
def mock_tfds():
    tfds = pytest.importorskip("tensorflow_datasets")
    with tfds.testing.mock_data(num_examples=12):
        yield


def test_load_tfds_returns_float_arrays(mock_tfds):
    x, y = datasets.load_tfds("mnist", split="train")
    assert x.shape == (12, 28, 28, 1) and x.dtype == np.float32 and len(y) == 12
    assert 0.0 <= x.min() and x.max() <= 1.0 and x.max() > 0.5

    x, _ = datasets.load_tfds("mnist", split="train", scale="symmetric")
    assert -1.0 <= x.min() < -0.5 and x.max() <= 1.0

    raw, _ = datasets.load_tfds("mnist", split="train", scale="none")
    assert raw.dtype == np.uint8


def test_load_tfds_batched_dataset_and_several_splits(mock_tfds):
    dataset = datasets.load_tfds("mnist", split="train", as_numpy=False, batch_size=5)
    batches = list(dataset)
    assert [len(images) for images, _ in batches] == [5, 5, 2]
    assert batches[0][0].dtype.name == "float32"

    train, test = datasets.load_tfds("mnist", split=["train", "test"])
    assert len(train[0]) == len(test[0]) == 12

    features = datasets.load_tfds("mnist", split="train", as_supervised=False)
    assert set(features) == {"image", "label"} and features["image"].dtype == np.float32


@pytest.mark.parametrize(
    "kwargs, error, argument",
    [
        ({"name": ""}, TypeError, "name"),
        ({"scale": "standard"}, ValueError, "scale"),
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"split": 3}, TypeError, "split"),
        ({"as_numpy": "yes"}, TypeError, "as_numpy"),
    ],
)
def test_load_tfds_bad_arguments(kwargs, error, argument):
    # Checked before TFDS is asked for anything, so no network is needed.
    with pytest.raises(error, match=f"Received: {argument}="):
        datasets.load_tfds(**{"name": "mnist", **kwargs})
