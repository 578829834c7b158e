"""Pieces the thirteenth held-out split shares: a skewed binary table, generated prices, and the
recall and agreement checks its runs use. Not a scenario module (it registers nothing, and
`benchmarks.accuracy` does not import it as one).
"""

import numpy as np
from sklearn import datasets

from benchmarks.accuracy import data


def skewed_binary(seed, positive_share=0.05, n_samples=3000):
    """`make_classification` (10 features, 4 informative, two classes, `positive_share` of the rows
    positive, no label noise) split by `seed`, each feature standardized on the training part.
    Returns `(x, y), (x_val, y_val)`, y int64 in {0, 1}."""
    return data.standardize(data.classification(
        seed, n_samples=n_samples, n_features=10, n_informative=4, n_redundant=2,
        weights=[1 - positive_share, positive_share], flip_y=0.0, class_sep=0.5))


def positive_recall(model, x, y):
    """The share of the positive rows of `x` that a one-sigmoid-unit `model` (inference mode)
    scores above 0.5."""
    scores = np.asarray(model(x, training=False)).reshape(-1)
    positive = np.asarray(y).reshape(-1) == 1
    return float(np.mean(scores[positive] > 0.5))


def prices(seed, n_samples=2000):
    """House-price-like targets: `make_regression` on 20 features (10 informative), the target
    standardized to t and mapped to 200 * exp(t / 2) (thousands: about 30 to 1,500), features
    standardized on the training part. Returns `(x, price), (x_val, price_val)`, prices of
    shape `(n, 1)`, all positive."""
    x, t = datasets.make_regression(n_samples=n_samples, n_features=20, n_informative=10,
                                    noise=5.0, random_state=seed)
    t = (t - t.mean()) / t.std()
    price = (200.0 * np.exp(t / 2)).astype("float32")[:, None]
    return data.standardize(data.split(x.astype("float32"), price, seed))


def r_squared(truth, predicted):
    """1 - residual variance / target variance."""
    truth, predicted = np.asarray(truth).reshape(-1), np.asarray(predicted).reshape(-1)
    return float(1 - np.mean((truth - predicted) ** 2) / np.var(truth))


def sequence_totals(seed, n_samples=2000, steps=16, features=4):
    """Sensor-like sequences, `steps` steps of `features` standard-normal readings, whose target
    is the total of the first reading over all steps, divided by sqrt(steps) (variance 1): the
    target needs every step. Returns `(x, y), (x_val, y_val)`, x of shape `(n, steps,
    features)`, y of shape `(n, 1)`."""
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_samples, steps, features)).astype("float32")
    y = (x[:, :, 0].sum(1) / np.sqrt(steps)).astype("float32")[:, None]
    return data.split(x, y, seed)
