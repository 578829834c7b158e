"""Small datasets for the scenarios: shipped with scikit-learn or generated, split by seed."""

import functools

import numpy as np
from sklearn import datasets

VALIDATION_SHARE = 0.25


@functools.lru_cache(maxsize=None)
def _load(name):
    loader = {"digits": datasets.load_digits, "breast_cancer": datasets.load_breast_cancer,
              "wine": datasets.load_wine}[name]
    x, y = loader(return_X_y=True)
    return x.astype("float32"), y.astype("int64")


def split(x, y, seed, n_train=None):
    """Shuffles by `seed` and returns `(x_train, y_train), (x_val, y_val)`."""
    order = np.random.default_rng(seed).permutation(len(x))
    n_val = int(len(x) * VALIDATION_SHARE)
    val, train = order[:n_val], order[n_val:]
    if n_train is not None:
        train = train[:n_train]
    return (x[train], y[train]), (x[val], y[val])


def digits(seed, scale=1 / 16, image=False, n_train=None):
    """The 1,797 8x8 digits, pixels times `scale` (1/16: [0, 1]; 16: raw 0-255 bytes)."""
    x, y = _load("digits")
    x = x * np.float32(scale)
    if image:
        x = x.reshape(-1, 8, 8, 1)
    return split(x, y, seed, n_train)


def standardized_digits(seed):
    """Digits with each pixel standardized on the training part (constant pixels stay 0: their
    spread counts as 1)."""
    (x, y), (x_val, y_val) = digits(seed)
    mean, std = x.mean(0), x.std(0)
    std = np.where(std > 0, std, 1.0).astype("float32")
    return ((x - mean) / std, y), ((x_val - mean) / std, y_val)


def digit_halves(seed):
    """The digits in [0, 1], each image as its top and bottom halves (`halves`): the two inputs
    of a two-input model. Returns `(halves, y), (halves_val, y_val)`."""
    (x, y), (x_val, y_val) = digits(seed)
    return (halves(x), y), (halves(x_val), y_val)


def digit_rows(seed, n_train=None):
    """Digits as sequences: 8 time steps (image rows) of 8 features, in [0, 1]."""
    x, y = _load("digits")
    return split((x / 16).reshape(-1, 8, 8), y, seed, n_train)


def standardize(train_val):
    """`(x, y), (x_val, y_val)` with each feature standardized by the training part's mean and
    spread (plus 1e-7, so that a constant feature stays finite)."""
    (x, y), (x_val, y_val) = train_val
    mean, std = x.mean(0), x.std(0) + 1e-7
    return ((x - mean) / std, y), ((x_val - mean) / std, y_val)


def classification(seed, **make_classification_options):
    """`sklearn.datasets.make_classification(random_state=seed, **make_classification_options)`,
    features as float32 and labels as int64, split by `seed`.

    Returns:
        `(x, y), (x_val, y_val)`.
    """
    x, y = datasets.make_classification(random_state=seed, **make_classification_options)
    return split(x.astype("float32"), y.astype("int64"), seed)


def standardized(name, seed):
    """A tabular dataset (`breast_cancer`, `wine`) with each feature standardized."""
    return standardize(raw(name, seed))


def raw(name, seed):
    """A tabular dataset as shipped: features on their own scales (breast cancer: 1e-3 to 4e3)."""
    x, y = _load(name)
    return split(x, y, seed)


def halves(x):
    """Splits images `(n, 8, 8)` or `(n, 64)` into top and bottom halves, the two inputs of a
    two-input model."""
    x = x.reshape(len(x), 8, 8)
    return [x[:, :4].reshape(len(x), 32), x[:, 4:].reshape(len(x), 32)]


def long_tail(x, y, seed, rare_class, rare_share):
    """Keeps only `rare_share` of the samples of `rare_class` (at least 2)."""
    rng = np.random.default_rng(seed)
    rare = np.flatnonzero(y == rare_class)
    keep_rare = rng.choice(rare, max(2, int(len(rare) * rare_share)), replace=False)
    keep = np.sort(np.concatenate([np.flatnonzero(y != rare_class), keep_rare]))
    return x[keep], y[keep]


def flip_labels(y, share, num_classes, seed):
    """Replaces `share` of the labels by random classes (label noise)."""
    rng = np.random.default_rng(seed)
    y = y.copy()
    noisy = rng.random(len(y)) < share
    y[noisy] = rng.integers(0, num_classes, noisy.sum())
    return y
