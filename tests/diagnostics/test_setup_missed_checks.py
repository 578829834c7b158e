"""Structural and data checks that used to miss, each on a real model with its fixed twin:
TensorFlow's softmax on one unit, ReLU logits, a softmax applied twice, softmax + MSE on
multi-hot targets, validation classes that training never shows, uncentred features into ReLU
units."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from sklearn.datasets import load_digits, load_iris
from sklearn.preprocessing import StandardScaler

from diagnostics.setup_checks import check_setup
from diagnostics.setup_model import check_model


def _rng(seed=0):
    return np.random.default_rng(seed)


def _model(input_shape, *layers, loss="sparse_categorical_crossentropy"):
    model = keras.Sequential([keras.Input(input_shape), *layers])
    model.compile(optimizer="adam", loss=loss)
    return model


def _kinds_evidence(findings):
    return [(f.kind, f.evidence) for f in findings]


# -- tf.nn.softmax on one unit ---------------------------------------------------------------------


@pytest.mark.parametrize("head", [
    lambda: [keras.layers.Dense(1, activation=tf.nn.softmax, name="out")],
    lambda: [keras.layers.Dense(1), keras.layers.Activation(tf.nn.softmax, name="out")],
])
def test_tensorflow_softmax_on_one_unit(head):
    assert tf.nn.softmax.__name__ == "softmax_v2"
    x = _rng().normal(size=(64, 4)).astype("float32")
    model = _model((4,), keras.layers.Dense(8, activation="relu"), *head(),
                   loss="binary_crossentropy")
    assert np.ptp(np.asarray(model(x))) == 0  # Keras: the same output for every row
    findings = check_setup(model, x, (x[:, 0] > 0).astype("float32"))
    assert [(f.kind, f.layer, f.evidence) for f in findings] == [
        ("output_loss_mismatch", "out", {"softmax_units": 1})]


# -- ReLU logits under from_logits=True ------------------------------------------------------------


@pytest.mark.parametrize("activation, expected", [("relu", 10), ("relu6", 10), (None, 0)])
def test_relu_logits_under_a_from_logits_loss(activation, expected):
    x = _rng().normal(size=(256, 8)).astype("float32")
    model = _model((8,), keras.layers.Dense(16, activation="relu"),
                   keras.layers.Dense(10, activation=activation, name="logits"),
                   loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    logits = np.asarray(model(x))
    assert (logits.min() >= 0) == bool(expected)  # Keras: no ReLU logit is ever negative
    findings = check_setup(model, x, np.arange(256) % 10)
    assert _kinds_evidence(findings) == (
        [("output_loss_mismatch", {"relu_logit_units": expected})] if expected else [])


# -- a softmax applied twice: a loss floor far above zero ------------------------------------------


def _keras_floor(classes):
    """Keras' own loss at the best a doubled softmax allows: one-hot probabilities into softmax."""
    best = keras.ops.softmax(np.eye(classes, dtype="float32"))
    return float(np.mean(keras.losses.sparse_categorical_crossentropy(np.arange(classes), best)))


@pytest.mark.parametrize("second", [
    lambda: keras.layers.Softmax(name="again"),
    lambda: keras.layers.Activation("softmax", name="again"),
])
def test_softmax_applied_twice(second):
    model = _model((8,), keras.layers.Dense(16, activation="relu"),
                   keras.layers.Dense(10, activation="softmax"), second())
    findings = check_setup(model)
    assert [(f.kind, f.layer) for f in findings] == [("output_loss_mismatch", "again")]
    assert findings[0].evidence["bounded_logit_units"] == 10
    assert findings[0].evidence["loss_floor"] == pytest.approx(_keras_floor(10), rel=1e-5)


def test_softmax_into_a_from_logits_loss_states_its_floor():
    model = _model((8,), keras.layers.Dense(16, activation="relu"),
                   keras.layers.Dense(10, activation="softmax"),
                   loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    findings = check_setup(model)
    assert [f.kind for f in findings] == ["output_loss_mismatch"]
    assert findings[0].evidence["loss_floor"] == pytest.approx(_keras_floor(10), rel=1e-5)


@pytest.mark.parametrize("before", ["linear", "relu"])
def test_softmax_over_unbounded_values_is_quiet(before):
    model = _model((8,), keras.layers.Dense(16, activation="relu"),
                   keras.layers.Dense(10, activation=before), keras.layers.Softmax())
    assert check_setup(model) == []


# -- softmax + MSE on multi-hot targets ------------------------------------------------------------


@pytest.mark.parametrize("activation, loss, multi_hot, expected", [
    ("softmax", "mse", True, True),
    ("softmax", "mse", False, False),
    ("sigmoid", "binary_crossentropy", True, False),
    ("sigmoid", "mse", True, False),
])
def test_softmax_with_mse_on_multi_hot_targets(activation, loss, multi_hot, expected):
    rng = _rng()
    x = rng.normal(size=(300, 4)).astype("float32")
    y = ((rng.uniform(size=(300, 6)) < 0.3) if multi_hot
         else np.eye(6)[rng.integers(0, 6, 300)]).astype("float32")
    model = _model((4,), keras.layers.Dense(16, activation="relu"),
                   keras.layers.Dense(6, activation=activation, name="out"), loss=loss)
    findings = check_setup(model, x, y)
    rows_with_several = int(np.count_nonzero(y.sum(axis=1) > 1))
    assert _kinds_evidence(findings) == (
        [("label_mismatch", {"multi_hot_rows": rows_with_several, "rows": 300})] if expected else [])


# -- validation classes that training never shows --------------------------------------------------


def _digits_sorted_by_label():
    x, y = load_digits(return_X_y=True)
    order = np.argsort(y, kind="stable")
    return (x[order] / 16).astype("float32"), y[order]


def _digits_model():
    return _model((64,), keras.layers.Dense(32, activation="relu"),
                  keras.layers.Dense(10, activation="softmax", name="out"))


@pytest.mark.parametrize("shuffled", [False, True])
def test_validation_classes_missing_from_training(shuffled):
    """The last 20% of rows sorted by label (what validation_split takes) hold classes 8 and 9."""
    x, y = _digits_sorted_by_label()
    if shuffled:
        order = _rng().permutation(len(x))
        x, y = x[order], y[order]
    cut = int(len(x) * 0.8)
    findings = check_setup(_digits_model(), x[:cut], y[:cut], (x[cut:], y[cut:]))
    only_in_validation = np.setdiff1d(y[cut:], y[:cut])
    assert len(only_in_validation) == (0 if shuffled else 2)
    assert [(f.kind, f.layer, f.evidence.get("validation_only_classes")) for f in findings] == (
        [] if shuffled else [("label_mismatch", "out", 2)])


def test_a_rare_validation_class_is_not_judged_on_a_few_training_rows():
    """20 training rows cannot show a class that is 5% of the validation rows: no finding."""
    y_val = np.repeat(np.arange(10), [10, 10, 10, 10, 10, 10, 10, 10, 10, 10])
    y_val[:5] = 9  # class 9 is 15% of them, class 0 5%
    y_train = np.tile(np.arange(1, 10), 3)[:20]  # no class 0
    assert 0 not in y_train and np.mean(y_val == 0) * len(y_train) < 10
    x = _rng().normal(size=(100, 64)).astype("float32")
    assert check_setup(_digits_model(), x[:20], y_train, (x[:100], y_val)) == []


def test_one_hot_validation_labels_are_read_as_classes():
    x, y = _digits_sorted_by_label()
    cut = int(len(x) * 0.8)
    model = _model((64,), keras.layers.Dense(32, activation="relu"),
                   keras.layers.Dense(10, activation="softmax"), loss="categorical_crossentropy")
    one_hot = np.eye(10, dtype="float32")[y]
    findings = check_setup(model, x[:cut], one_hot[:cut], (x[cut:], one_hot[cut:]))
    assert [f.evidence.get("validation_only_classes") for f in findings] == [2]


# -- uncentred features into ReLU units ------------------------------------------------------------


def _uncentred(seed=0, rows=1000):
    """Features around 65-70, a class signal of 3 on half of them."""
    rng = _rng(seed)
    y = rng.integers(0, 2, rows)
    x = rng.uniform(65, 70, size=(rows, 8)) + 3.0 * y[:, None] * (np.arange(8) < 4)
    return x.astype("float32"), y


def _one_sided_units(model, x):
    """Share of the first layer's units whose pre-activation keeps one sign over every row,
    computed with NumPy from the layer's own initial weights."""
    kernel, bias = (np.asarray(w) for w in model.layers[0].weights)
    pre = x @ kernel + bias
    return float(np.mean(np.all(pre > 0, axis=0) | np.all(pre <= 0, axis=0)))


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("standardize", [False, True])
def test_uncentred_features_into_relu_units(seed, standardize):
    x, y = _uncentred(seed)
    if standardize:
        x = StandardScaler().fit_transform(x).astype("float32")
    keras.utils.set_random_seed(seed)
    model = _model((8,), keras.layers.Dense(32, activation="relu"),
                   keras.layers.Dense(2, activation="softmax"))
    # The mechanism: raw, (nearly) every ReLU unit sits on one side of zero for every row.
    assert (_one_sided_units(model, x) >= 0.9) == (not standardize)
    findings = check_setup(model, x, y)
    if standardize:
        assert findings == []
        return
    assert [f.kind for f in findings] == ["unnormalized_input"]
    ratios = np.abs(x.mean(axis=0)) / x.std(axis=0)
    assert findings[0].evidence["uncentred_features"] == 8
    assert findings[0].evidence["max_mean_over_std"] == pytest.approx(ratios.max(), rel=1e-4)


def test_uncentred_features_into_tanh_units_are_not_judged_as_relu():
    x, y = _uncentred()
    model = _model((8,), keras.layers.Dense(32, activation="tanh"),
                   keras.layers.Dense(2, activation="softmax"))
    assert check_setup(model, x, y) == []


def test_raw_iris_is_centred_enough():
    """Raw iris: the largest mean over std is 7.1 (sepal length), a net trains on it."""
    x, y = load_iris(return_X_y=True)
    assert np.max(np.abs(x.mean(axis=0)) / x.std(axis=0)) == pytest.approx(7.1, abs=0.05)
    model = _model((4,), keras.layers.Dense(16, activation="relu"),
                   keras.layers.Dense(3, activation="softmax"))
    assert check_setup(model, x, y) == []


def test_an_indicator_that_is_almost_always_on_is_not_uncentred():
    """A one-hot column on in 99.5% of rows has mean/std 14, but it is a base rate, not an
    offset to centre."""
    rng = _rng()
    x = rng.normal(size=(1000, 5))
    x[:, 0] = 1.0
    x[rng.choice(1000, 5, replace=False), 0] = 0.0
    assert np.abs(x[:, 0].mean()) / x[:, 0].std() > 10
    model = _model((5,), keras.layers.Dense(16, activation="relu"),
                   keras.layers.Dense(2, activation="softmax"))
    assert check_setup(model, x, np.arange(1000) % 2) == []


def _two_heads(loss_weights, named=False):
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(8, activation="relu")(inputs)
    heads = [keras.layers.Dense(3, activation="softmax", name="digit")(hidden),
             keras.layers.Dense(1, activation="sigmoid", name="high")(hidden)]
    model = keras.Model(inputs, {"digit": heads[0], "high": heads[1]} if named else heads)
    losses = ["sparse_categorical_crossentropy", "binary_crossentropy"]
    model.compile("adam", dict(zip(["digit", "high"], losses)) if named else losses, loss_weights=loss_weights)
    return model


@pytest.mark.parametrize("model, expected", [
    (lambda: _two_heads([1.0, 0.0]), ["high"]),
    (lambda: _two_heads({"digit": 0.0, "high": 1.0}, named=True), ["digit"]),
    (lambda: _two_heads([1.0, -0.5]), ["high"]),
    (lambda: _two_heads([1.0, 0.3]), None),
    (lambda: _two_heads(None), None),
], ids=["list", "dict", "negative", "positive", "default"])
def test_an_output_with_loss_weight_zero_is_named(model, expected):
    found = [f for f in check_model(model()) if "zero_loss_weight_outputs" in f.evidence]
    assert [f.evidence["zero_loss_weight_outputs"] for f in found] == ([expected] if expected else [])
    assert all(f.severity == "error" for f in found)
