"""The learning-rate range test (`find_learning_rate`) against a quadratic whose stable step is
known, with real optimizers and inputs on a small classifier, and with the user's model untouched.

References are independent: NumPy runs the same SGD on the quadratic, and gradient descent on it
is stable exactly below the step 2/L, L the curvature computed from the data.
"""

import doctest
import json

import keras
import numpy as np
import pytest
import tensorflow as tf
from sklearn.datasets import load_digits

import diagnostics.learning_rate as learning_rate_module
from diagnostics.learning_rate import RangeTest, find_learning_rate

QUADRATIC_ROWS, QUADRATIC_BATCH = 1024, 32
TRUE_WEIGHT, NOISE = 3.0, 1.0


def _quadratic_data(seed):
    """x = +-2 on every row (x^2 = 4, so every batch has the same curvature), y = 3x + noise."""
    rng = np.random.default_rng(seed)
    x = (2.0 * rng.choice([-1.0, 1.0], size=(QUADRATIC_ROWS, 1))).astype("float32")
    y = (TRUE_WEIGHT * x + NOISE * rng.normal(size=(QUADRATIC_ROWS, 1))).astype("float32")
    return x, y


def _one_weight_model():
    model = keras.Sequential([keras.Input((1,)),
                              keras.layers.Dense(1, use_bias=False, kernel_initializer="zeros")])
    model.compile(optimizer=keras.optimizers.SGD(), loss="mse")
    return model


def _numpy_range_test(x, y, rates, smoothing, divergence):
    """The same test written from its definition with NumPy in float64: plain SGD on
    mean((w x - y)^2) over the batches in order, one rate per step, stopped by the rule."""
    x, y = x.astype(np.float64)[:, 0], y.astype(np.float64)[:, 0]
    batches = len(x) // QUADRATIC_BATCH
    weight, average, lowest, losses = 0.0, 0.0, np.inf, []
    for step, rate in enumerate(rates):
        rows = slice((step % batches) * QUADRATIC_BATCH, (step % batches + 1) * QUADRATIC_BATCH)
        residual = weight * x[rows] - y[rows]
        losses.append(np.mean(residual ** 2))
        average = smoothing * average + (1 - smoothing) * losses[-1]
        smoothed = average / (1 - smoothing ** (step + 1))
        if step > 0 and smoothed > divergence * lowest:
            break
        lowest = min(lowest, smoothed)
        weight -= rate * np.mean(2 * x[rows] * residual)
    return np.array(losses)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_quadratic_diverges_just_above_the_stable_step(seed):
    x, y = _quadratic_data(seed)
    curvature = 2 * np.mean(x.astype(np.float64) ** 2)  # d^2/dw^2 of mean((w x - y)^2)
    bound = 2 / curvature  # w - w* is multiplied by (1 - rate * curvature) at every step
    # Batches in a fixed order (a dataset), so that NumPy can follow the same steps. A fine ramp
    # (a factor 1.03 per step) and a 10-step smoothing memory let the stop follow the loss closely.
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(QUADRATIC_BATCH)
    start, stop, steps, smoothing = bound / 1000, bound * 10, 300, 0.9

    test = find_learning_rate(_one_weight_model(), dataset, start=start, stop=stop, steps=steps,
                              smoothing=smoothing)

    expected = _numpy_range_test(x, y, np.geomspace(start, stop, steps), smoothing, 4.0)
    assert len(test.losses) == len(expected) < steps
    np.testing.assert_allclose(test.losses, expected, rtol=1e-4)
    np.testing.assert_allclose(test.learning_rates,
                               np.geomspace(start, stop, steps)[:len(expected)], rtol=1e-12)
    assert test.diverged
    assert bound < test.learning_rates[-1] <= 1.5 * bound
    assert bound / 1000 < test.suggestion < bound
    assert bound / 1000 < test.steepest() < bound
    assert test.minimum() < bound


@pytest.fixture(scope="module")
def digits():
    data = load_digits()
    return (data.data / 16.0).astype("float32"), data.target.astype("int32")


def _classifier(optimizer):
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dropout(0.1),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    return model


def _state(model):
    """Everything of the user's model the range test must leave alone."""
    return {
        "weights": [np.array(w) for w in model.get_weights()],
        "optimizer_variables": [np.array(v) for v in model.optimizer.variables],
        "iterations": int(model.optimizer.iterations),
        "learning_rate": float(model.optimizer.learning_rate),
        "optimizer_config": model.optimizer.get_config(),
        "loss": model.loss,
        "compile_config": model.get_compile_config(),
        "metrics": [metric.name for metric in model.metrics],
    }


OPTIMIZERS = {
    "adam": lambda: keras.optimizers.Adam(),
    "sgd_momentum": lambda: keras.optimizers.SGD(momentum=0.9, nesterov=True),
    # If the clone kept this schedule, its rate would stay near 1e-9 and nothing would be learnt
    # (and setting the rate of a schedule raises).
    "schedule": lambda: keras.optimizers.SGD(
        keras.optimizers.schedules.ExponentialDecay(1e-9, decay_steps=10, decay_rate=0.5),
        momentum=0.9),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_optimizers_on_a_classifier_and_the_model_is_untouched(digits, name):
    x, y = digits
    model = _classifier(OPTIMIZERS[name]())
    model.fit(x[:64], y[:64], batch_size=32, epochs=1, verbose=0)  # an optimizer state to keep
    before = _state(model)
    start, stop, steps = 1e-5, 1e4, 60

    test = find_learning_rate(model, x, y, batch_size=64, start=start, stop=stop, steps=steps,
                              seed=0)

    after = _state(model)
    for key in ("weights", "optimizer_variables"):
        assert len(after[key]) == len(before[key])
        for old, new in zip(before[key], after[key]):
            np.testing.assert_array_equal(old, new)
    assert {k: v for k, v in after.items() if "variables" not in k and k != "weights"} == {
        k: v for k, v in before.items() if "variables" not in k and k != "weights"}
    assert before["iterations"] == 2
    # The ramp was applied, the loss fell from the chance level (ln 10) and then diverged.
    taken = len(test.losses)
    np.testing.assert_allclose(test.learning_rates, np.geomspace(start, stop, steps)[:taken])
    assert abs(test.losses[0] - np.log(10)) < 0.3
    assert test.losses.min() < 0.8 * test.losses[0]
    assert test.diverged and taken < steps
    assert test.smoothed[-1] > 4 * test.smoothed[:-1].min()
    assert start < test.suggestion < test.learning_rates[int(np.argmin(test.trend))]


def test_inputs_as_dicts_generators_and_weights():
    rng = np.random.default_rng(0)
    a, b = rng.normal(size=(96, 3)).astype("float32"), rng.normal(size=(96, 2)).astype("float32")
    y = (a.sum(axis=1, keepdims=True) - b[:, :1]).astype("float32")
    inputs = {"a": keras.Input((3,), name="a"), "b": keras.Input((2,), name="b")}
    output = keras.layers.Dense(1)(keras.layers.Concatenate()([inputs["a"], inputs["b"]]))
    model = keras.Model(inputs, output)
    model.compile(optimizer="sgd", loss="mse")
    kwargs = dict(batch_size=96, start=1e-3, stop=1.0, steps=4)

    plain = find_learning_rate(model, {"a": a, "b": b}, y, **kwargs)
    weighted = find_learning_rate(model, {"a": a, "b": b}, y, sample_weight=np.full(96, 2.0),
                                  **kwargs)
    # One batch of all rows from the same weights: the first losses are the model's MSE, and
    # twice that with weights 2 (Keras averages weighted losses over the rows).
    first = np.mean((np.asarray(model({"a": a, "b": b})) - y) ** 2)
    np.testing.assert_allclose([plain.losses[0], weighted.losses[0]], [first, 2 * first], rtol=1e-5)

    def two_batches():  # a generator with fewer batches than steps: its batches are replayed
        yield {"a": a[:48], "b": b[:48]}, y[:48]
        yield {"a": a[48:], "b": b[48:]}, y[48:]

    replayed = find_learning_rate(model, two_batches(), start=1e-3, stop=1.0, steps=5)
    assert len(replayed.losses) == 5 and np.isfinite(replayed.losses).all()


class _Batches(keras.utils.PyDataset):
    def __init__(self, x, y):
        super().__init__()
        self.x, self.y = x, y

    def __len__(self):
        return 2

    def __getitem__(self, index):
        return self.x[index * 16:(index + 1) * 16], self.y[index * 16:(index + 1) * 16]


def test_class_weights_and_a_py_dataset():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(32, 4)).astype("float32"), rng.integers(0, 2, size=32)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    kwargs = dict(start=1e-3, stop=1.0, steps=3)
    plain = find_learning_rate(model, _Batches(x, y), **kwargs)
    weighted = find_learning_rate(model, _Batches(x, y), class_weight={0: 3.0, 1: 3.0}, **kwargs)
    # The first batch is rows 0-15 from the model's weights: its cross-entropy, then three times it.
    probabilities = np.asarray(model(x[:16]))
    first = -np.mean(np.log(probabilities[np.arange(16), y[:16]]))
    np.testing.assert_allclose([plain.losses[0], weighted.losses[0]], [first, 3 * first], rtol=1e-5)


class ConfigurableNet(keras.Model):
    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.hidden = keras.layers.Dense(units, activation="relu")
        self.out = keras.layers.Dense(1)

    def call(self, inputs):
        return self.out(self.hidden(inputs))

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class UnclonableNet(keras.Model):
    def __init__(self, layer, **kwargs):  # a layer object: no config rebuilds it
        super().__init__(**kwargs)
        self.given = layer

    def call(self, inputs):
        return self.given(inputs)

    def get_config(self):
        raise NotImplementedError("no config")


def test_subclassed_models_clone_or_fail_naming_model():
    x = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    model = ConfigurableNet()
    model(x[:2])
    model.compile(optimizer="adam", loss="mse")
    weights = [w.copy() for w in model.get_weights()]
    test = find_learning_rate(model, x, y, batch_size=64, start=1e-4, stop=1.0, steps=5)
    assert len(test.losses) == 5
    # The clone starts from the model's weights: its first loss is the model's own loss.
    np.testing.assert_allclose(test.losses[0], np.mean((model(x) - y) ** 2), rtol=1e-5)
    for old, new in zip(weights, model.get_weights()):
        np.testing.assert_array_equal(old, new)

    unclonable = UnclonableNet(keras.layers.Dense(1))
    unclonable(x[:2])
    unclonable.compile(optimizer="adam", loss="mse")
    with pytest.raises(TypeError, match=r"`model` cannot be cloned.*Received: model=UnclonableNet"):
        find_learning_rate(unclonable, x, y, steps=5)


def _compiled():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    return model


def test_bad_models_and_data_are_named():
    x, y = np.zeros((8, 2), "float32"), np.zeros((8, 1), "float32")
    uncompiled = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match=r"`model` must be compiled.*Received: model="):
        find_learning_rate(uncompiled, x, y)
    with pytest.raises(TypeError, match=r"Received: model='model'"):
        find_learning_rate("model", x, y)
    with pytest.raises(ValueError, match=r"Received: rows=\[7, 8\]"):
        find_learning_rate(_compiled(), x, y[:7])
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(4)
    with pytest.raises(ValueError, match=r"Received: batch_size=4"):
        find_learning_rate(_compiled(), dataset, batch_size=4)


def test_an_unbuilt_model_is_built_on_the_first_batch():
    model = keras.Sequential([keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x = np.random.default_rng(0).normal(size=(32, 2)).astype("float32")
    test = find_learning_rate(model, x, x[:, :1], start=1e-3, stop=1.0, steps=3, verbose=1)
    assert len(test.losses) == 3 and not model.built


def _hand_made():
    """A curve whose rules are worked out by hand: 11 steps of a factor 10^0.5 (a 3-step median).

    trend:  5, 5, 5, 4.5, 3, 1.5, 1, 1, 1.2, 6, 7; minimum 1 at step 6, highest before it 5 at
    step 0: a fall of 4, trimmed by 0.4 at each end. The last step at or above 4.6 is step 2, the
    first at or below 1.4 step 6: the valley is (2, 6) and its middle step 4, 10^-2.
    """
    rates = np.geomspace(1e-4, 10.0, 11)
    losses = np.array([5.0, 5.0, 5.0, 4.5, 3.0, 1.5, 0.9, 1.0, 1.2, 8.0, 6.0])
    return RangeTest(rates, losses, losses, diverged=True, steps=20)


def test_rules_on_a_hand_made_curve(tmp_path):
    test = _hand_made()
    np.testing.assert_allclose(test.trend, [5, 5, 5, 4.5, 3, 1.5, 1, 1, 1.2, 6, 7])
    assert test.valley() == (2, 6)
    np.testing.assert_allclose(test.suggestion, 1e-2)
    # Steepest central difference: (1.5 - 4.5) / 2 and (1 - 3) / 2 per factor: step 4 wins.
    np.testing.assert_allclose(test.steepest(), 1e-2)
    np.testing.assert_allclose(test.minimum(), 10 ** -1 / 10)
    np.testing.assert_allclose(test.minimum(divisor=4), 10 ** -1 / 4)
    with pytest.raises(ValueError, match="Received: divisor=0"):
        test.minimum(divisor=0)
    assert str(test) == ("RangeTest(11/20 steps, learning rate 0.0001 to 10, diverged at step 11; "
                         "suggestion 0.01)")

    path = test.plot(str(tmp_path / "range.png"))
    assert path == str(tmp_path / "range.png")
    with open(path, "rb") as image:
        assert image.read(8) == b"\x89PNG\r\n\x1a\n"


def test_a_bump_on_the_way_down_does_not_cut_the_valley():
    rates = 10.0 ** (-4 + 0.5 * np.arange(14))
    losses = np.array([4.0, 4.0, 4.0, 3.5, 3.0, 2.5, 2.7, 2.7, 2.0, 1.5, 1.0, 1.0, 3.0, 9.0])
    test = RangeTest(rates, losses, losses, diverged=True, steps=14)
    # trend 4, 4, 4, 3.5, 3, 2.7, 2.7, 2.7, 2, 1.5, 1, 1, 3, 6: a fall of 3 from step 0 to 10
    # with a shelf at 2.7; the last step at or above 3.7 is 2, the first at or below 1.3 is 10.
    np.testing.assert_allclose(test.trend, [4, 4, 4, 3.5, 3, 2.7, 2.7, 2.7, 2, 1.5, 1, 1, 3, 6])
    assert test.valley() == (2, 10)
    np.testing.assert_allclose(test.suggestion, 1e-1)


def test_rules_without_a_descent():
    rates = np.geomspace(1e-3, 1.0, 4)
    rising = RangeTest(rates, np.array([1.0, 2.0, 4.0, 9.0]), np.array([1.0, 1.5, 2.0, 4.0]),
                       diverged=True, steps=4)
    assert rising.valley() is None and rising.steepest() is None
    assert rising.suggestion == rising.minimum() == pytest.approx(1e-4)
    nothing = RangeTest(rates[:1], np.array([np.nan]), np.array([np.nan]), diverged=True, steps=4)
    assert nothing.suggestion is None and nothing.minimum() is None


def test_docstring_examples():
    result = doctest.testmod(learning_rate_module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


def test_a_record_round_trips_through_json():
    test = _hand_made()
    with_nan = RangeTest(test.learning_rates, np.append(test.losses[:-1], np.nan), test.smoothed,
                         True, 20)
    record = json.loads(json.dumps(with_nan.to_dict()))
    back = RangeTest.from_dict(record)
    assert record["losses"][-1] == "nan" and record["suggestion"] == pytest.approx(1e-2)
    np.testing.assert_array_equal(back.losses[:-1], test.losses[:-1])
    assert np.isnan(back.losses[-1]) and back.diverged and back.steps == 20
    np.testing.assert_array_equal(back.learning_rates, test.learning_rates)
    assert back.suggestion == pytest.approx(1e-2)


def test_several_outputs_with_loss_weights():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = {"reg": x.sum(axis=1, keepdims=True), "cls": rng.integers(0, 3, 64)}
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(8, activation="relu")(inputs)
    model = keras.Model(inputs, {
        "reg": keras.layers.Dense(1, name="reg")(hidden),
        "cls": keras.layers.Dense(3, activation="softmax", name="cls")(hidden)})
    model.compile(optimizer="adam", loss={"reg": "mse", "cls": "sparse_categorical_crossentropy"},
                  loss_weights={"reg": 0.5, "cls": 2.0})
    test = find_learning_rate(model, x, y, batch_size=64, start=1e-4, stop=1.0, steps=3)
    predicted = keras.tree.map_structure(np.asarray, model(x))
    expected = (0.5 * np.mean((predicted["reg"] - y["reg"]) ** 2)
                + 2.0 * np.mean(-np.log(predicted["cls"][np.arange(64), y["cls"]])))
    np.testing.assert_allclose(test.losses[0], expected, rtol=1e-5)


def test_a_model_under_a_distribution_strategy(mirrored_strategy):
    x = np.random.default_rng(0).normal(size=(64, 3)).astype("float32")
    y = x.sum(axis=1, keepdims=True)
    with mirrored_strategy.scope():
        model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        model.compile(optimizer="sgd", loss="mse")
    weights = [w.copy() for w in model.get_weights()]
    test = find_learning_rate(model, x, y, batch_size=64, start=1e-3, stop=1.0, steps=4)
    np.testing.assert_allclose(test.losses[0], np.mean((np.asarray(model(x)) - y) ** 2),
                               rtol=1e-5)
    assert test.losses[-1] < test.losses[0]
    for old, new in zip(weights, model.get_weights()):
        np.testing.assert_array_equal(old, new)
