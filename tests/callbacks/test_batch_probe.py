"""BatchProbe: rows gathered across batches and class counts, against the data and NumPy."""

import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

from callbacks._batch_probe import Kept, ProbeKey, _RowStore, shared_probe
from callbacks._guard import NotJudgedWarning
from zoo._keras_internals import is_patched


def _rows(n=120, features=3):
    """Inputs whose first column numbers the rows, so that kept rows can be traced back."""
    x = np.random.default_rng(0).standard_normal((n, features)).astype("float32")
    x[:, 0] = np.arange(n)
    return x


def _classifier(classes=3, features=3, activation="softmax", loss="sparse_categorical_crossentropy",
                jit_compile=False, steps_per_execution=1):
    model = keras.Sequential([keras.Input((features,)), keras.layers.Dense(classes, activation=activation)])
    # A learning rate of 0 keeps the predictions of every step those of `model.predict` after fit.
    model.compile(keras.optimizers.SGD(0.0), loss, jit_compile=jit_compile,
                  steps_per_execution=steps_per_execution)
    return model


def _attached(model, *requests, counts=False):
    probe = shared_probe(model)
    probe.attach()
    for kwargs in requests:
        probe.request(**kwargs)
    if counts:
        probe.request_class_counts()
    return probe


@pytest.mark.parametrize("jit_compile,steps_per_execution,batch_size", [
    (False, 1, 8), (True, 1, 8), (True, 3, 8), (True, 1, 1),
])
def test_first_rows_are_kept_across_batches(jit_compile, steps_per_execution, batch_size):
    x, x_val = _rows(), _rows(60) + 1000.0
    y = (np.arange(120) % 3).astype("int32")
    weights = np.linspace(0.5, 2.0, 120).astype("float32")
    model = _classifier(jit_compile=jit_compile, steps_per_execution=steps_per_execution)
    probe = _attached(model, dict(size=40, targets=True), dict(size=24), dict(size=20, validation=True))
    try:
        model.fit(x, y, sample_weight=weights, batch_size=batch_size, epochs=1, shuffle=False, verbose=0,
                  validation_data=(x_val, y[:60]))
        probe_x, probe_y, probe_weights = probe.batch()
        np.testing.assert_array_equal(probe_x, x[:40])  # 40 rows over 5 (or 40) batches
        np.testing.assert_array_equal(probe_y, y[:40])
        np.testing.assert_array_equal(probe_weights, weights[:40])
        assert probe_y.dtype == np.int32 and probe_weights.dtype == np.float32
        np.testing.assert_array_equal(probe.inputs(), x[:40])
        np.testing.assert_array_equal(probe.inputs(validation=True), x_val[:20])
        assert probe.batch(validation=True) is None  # no targets were asked for there
        # Full buffers are read once: every monitor gets the same read-only arrays.
        assert probe.inputs() is probe.batch()[0] and not probe.inputs().flags.writeable
    finally:
        probe.detach()


def test_batch_size_one_fills_a_probe_of_hundreds_of_rows():
    x = _rows(300)
    model = _classifier(jit_compile=True)
    probe = _attached(model, dict(size=256))
    try:
        model.fit(x, np.zeros(300, "int32"), batch_size=1, epochs=1, shuffle=False, verbose=0)
        np.testing.assert_array_equal(probe.inputs(), x[:256])
    finally:
        probe.detach()


def test_two_replicas_each_keep_their_share_of_the_first_rows(mirrored_strategy):
    x = _rows()
    y = (np.arange(120) % 3).astype("int64")
    with mirrored_strategy.scope():
        model = _classifier()
    probe = _attached(model, dict(size=40, targets=True), counts=True)
    try:
        model.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
        probe_x, probe_y = probe.batch()
        order = np.argsort(probe_x[:, 0])
        np.testing.assert_array_equal(probe_x[order], x[:40])
        np.testing.assert_array_equal(probe_y[order], y[:40])
        counts = probe.class_counts()
        np.testing.assert_array_equal(counts["train_labels"], np.bincount(y, minlength=3))
        predicted = keras.ops.convert_to_numpy(model(x)).argmax(-1)
        np.testing.assert_array_equal(counts["train_predicted"], np.bincount(predicted, minlength=3))
    finally:
        probe.detach()


@pytest.mark.parametrize("kind", ["list", "dict"])
def test_several_inputs_are_kept_in_the_model_input_structure(kind):
    first, second = _rows(48, 2), _rows(48, 4) * 10.0
    inputs = {"a": keras.Input((2,), name="a"), "b": keras.Input((4,), name="b")}
    merged = keras.layers.Concatenate()([inputs["a"], inputs["b"]])
    model = keras.Model(inputs if kind == "dict" else [inputs["a"], inputs["b"]], keras.layers.Dense(1)(merged))
    model.compile("sgd", "mse", jit_compile=True)
    x = {"a": first, "b": second} if kind == "dict" else [first, second]
    probe = _attached(model, dict(size=20, targets=True))
    try:
        model.fit(x, first[:, :1], batch_size=8, epochs=1, shuffle=False, verbose=0)
        kept, kept_y = probe.batch()
        if kind == "dict":
            assert sorted(kept) == ["a", "b"]
            np.testing.assert_array_equal(kept["a"], first[:20])
            np.testing.assert_array_equal(kept["b"], second[:20])
        else:
            assert isinstance(kept, list) and len(kept) == 2
            np.testing.assert_array_equal(kept[0], first[:20])
            np.testing.assert_array_equal(kept[1], second[:20])
        np.testing.assert_array_equal(kept_y, first[:20, :1])
    finally:
        probe.detach()


def _targets(kind, labels, classes):
    return np.eye(classes, dtype="float32")[labels] if kind == "one_hot" else labels


@pytest.mark.parametrize("kind,jit_compile", [
    ("sparse", False), ("sparse", True), ("one_hot", False), pytest.param("one_hot", True, marks=pytest.mark.slow),
    ("binary", False), ("binary", True), ("binary_logits", False),
    pytest.param("binary_logits", True, marks=pytest.mark.slow),
    ("ignored", False), ("ignored", True), ("many", False), ("many", True),
])
def test_class_counts_match_numpy(kind, jit_compile):
    """Counts of a confusion matrix (up to MAX_CONFUSION_CLASSES) or of two histograms ("many":
    70 classes) against NumPy; rows whose label the loss ignores (-1) are not counted."""
    rng = np.random.default_rng(1)
    x, x_val = rng.standard_normal((90, 3)).astype("float32"), rng.standard_normal((40, 3)).astype("float32")
    if kind.startswith("binary"):
        classes, logits = 2, kind == "binary_logits"
        labels = (rng.random(90) < 0.3).astype("int32")
        val_labels = (rng.random(40) < 0.3).astype("int32")
        loss = keras.losses.BinaryCrossentropy(from_logits=logits)
        model = _classifier(1, activation=None if logits else "sigmoid", loss=loss, jit_compile=jit_compile)
    elif kind == "many":
        classes = 70
        labels, val_labels = rng.integers(0, 70, 90), rng.integers(0, 70, 40)
        labels[::7], val_labels[::5] = -1, -1
        loss = keras.losses.SparseCategoricalCrossentropy(ignore_class=-1)
        model = _classifier(classes, loss=loss, jit_compile=jit_compile)
    else:
        classes = 4
        labels, val_labels = rng.integers(0, 3, 90), rng.integers(0, 4, 40)  # class 3 never trained on
        loss = "categorical_crossentropy" if kind == "one_hot" else "sparse_categorical_crossentropy"
        if kind == "ignored":
            labels[::7], val_labels[::5] = -1, -1
            loss = keras.losses.SparseCategoricalCrossentropy(ignore_class=-1)
        model = _classifier(classes, loss=loss, jit_compile=jit_compile)
    probe = _attached(model, counts=True)
    try:
        model.fit(x, _targets(kind, labels, classes), batch_size=16, epochs=1, verbose=0,
                  validation_data=(x_val, _targets(kind, val_labels, classes)))
        counts = probe.class_counts()
    finally:
        probe.detach()

    def predict(inputs):
        output = keras.ops.convert_to_numpy(model(inputs))
        if classes > 2:
            return output.argmax(-1)
        return (output[:, 0] > (0.0 if kind == "binary_logits" else 0.5)).astype(int)

    assert counts["train_labels"].dtype == np.int64
    counted, val_counted = labels >= 0, val_labels >= 0
    np.testing.assert_array_equal(counts["train_labels"], np.bincount(labels[counted], minlength=classes))
    np.testing.assert_array_equal(counts["train_predicted"], np.bincount(predict(x)[counted], minlength=classes))
    np.testing.assert_array_equal(counts["val_labels"], np.bincount(val_labels[val_counted], minlength=classes))
    correct = val_labels[(predict(x_val) == val_labels) & val_counted]
    np.testing.assert_array_equal(counts["val_correct"], np.bincount(correct, minlength=classes))


def test_class_counts_reset_when_read():
    model = _classifier()
    probe = _attached(model, counts=True)
    try:
        model.fit(_rows(32), np.zeros(32, "int32"), batch_size=8, epochs=1, verbose=0)
        assert probe.class_counts()["train_labels"].tolist() == [32, 0, 0]
        again = probe.class_counts()
        assert again["train_labels"].tolist() == [0, 0, 0] and again["val_labels"] is None
    finally:
        probe.detach()


def test_regression_targets_give_no_class_counts_and_say_why_without_a_warning():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    probe = _attached(model, counts=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", NotJudgedWarning)  # nothing asked for was withheld
            model.fit(_rows(32), np.ones((32, 1), "float32"), batch_size=8, epochs=1, verbose=0)
        assert probe.class_counts() is None
        assert "not a classification loss" in probe.unmeasurable(Kept.CLASS_COUNTS)
    finally:
        probe.detach()


def test_string_inputs_are_not_kept_and_training_goes_on():
    inputs = keras.Input((1,), dtype="string")
    lookup = keras.layers.StringLookup(vocabulary=["a", "b"], output_mode="one_hot")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Flatten()(lookup)))
    model.compile("sgd", "mse")
    data = tf.data.Dataset.from_tensor_slices((tf.constant([["a"], ["b"]] * 8), tf.ones((16, 1)))).batch(4)
    probe = _attached(model, dict(size=8))
    probe.request_fingerprints(64, 8)
    try:
        with pytest.warns(NotJudgedWarning, match="not numeric") as warned:
            history = model.fit(data, epochs=2, verbose=0)
        assert len(history.history["loss"]) == 2 and probe.inputs() is None
        assert probe.fingerprints() is None and probe.fingerprint_coverage(4) is None
        said = sorted(str(w.message).split(":")[1] for w in warned if "BatchProbe" in str(w.message))
        assert said == [" no probe rows for model 'functional'", " no row fingerprints for model 'functional'"]
        # Typed keys: a store of the training steps by `Kept` or its value; no validation step ran.
        assert "not numeric" in probe.unmeasurable(Kept.ROWS)
        assert probe.unmeasurable("rows") == probe.unmeasurable(ProbeKey(Kept.ROWS, validation=False))
        assert "not numeric" in probe.unmeasurable(Kept.FINGERPRINTS)
        assert probe.unmeasurable(ProbeKey(Kept.ROWS, validation=True)) is None
        assert probe.unmeasurable(Kept.CLASS_COUNTS) is None
    finally:
        probe.detach()


def test_probe_keys_read_as_what_they_keep():
    assert str(ProbeKey(Kept.ROWS)) == "probe rows"
    assert str(ProbeKey(Kept.FINGERPRINTS, validation=True)) == "row fingerprints of the validation steps"
    assert str(ProbeKey(Kept.CLASS_COUNTS)) == "class counts"
    assert ProbeKey(Kept("rows"), True) == ProbeKey(Kept.ROWS, validation=True) != ProbeKey(Kept.ROWS)
    with pytest.raises(ValueError):
        Kept("rows/False")


def test_a_failure_while_the_step_is_traced_is_said_once_and_training_goes_on(monkeypatch):
    def broken_update(store, parts):
        raise RuntimeError("injected")

    monkeypatch.setattr(_RowStore, "write", broken_update)
    model = _classifier()
    probe = _attached(model, dict(size=8))
    try:
        with pytest.warns(NotJudgedWarning, match="RuntimeError: injected") as warned:
            history = model.fit(_rows(32), np.zeros(32, "int32"), batch_size=8, epochs=2, verbose=0)
        assert len(history.history["loss"]) == 2 and probe.inputs() is None
        assert sum("BatchProbe" in str(w.message) for w in warned) == 1
    finally:
        probe.detach()


def test_attach_nests_and_the_last_detach_restores_the_model():
    model = _classifier()
    x, y = _rows(16), np.zeros(16, "int32")
    model.fit(x, y, epochs=1, verbose=0)
    model.evaluate(x, y, verbose=0)
    probe = shared_probe(model)
    assert shared_probe(model) is probe
    probe.attach()
    probe.attach()
    probe.detach()
    assert probe.attached and is_patched(model, "train_step")
    probe.detach()
    assert not probe.attached
    assert not any(is_patched(model, name) for name in ("train_step", "test_step", "compute_loss"))
    model.fit(x, y, epochs=1, verbose=0)  # the retraced steps still train


def test_bad_requests_are_refused():
    probe = shared_probe(_classifier())
    with pytest.raises(RuntimeError, match="attach"):
        probe.request(8)
    probe.attach()
    try:
        with pytest.raises(ValueError, match="Received: size=0"):
            probe.request(0)
    finally:
        probe.detach()


def _sigmoid_units(units=4):
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(units, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy")
    return model


@pytest.mark.parametrize("units", [1, 4])
def test_targets_between_0_and_1_under_a_per_unit_loss_are_no_labels_and_say_so_without_a_warning(units):
    # Four units: an autoencoder's pixels; one: a probability regressed, not a class to count.
    targets = np.random.default_rng(0).uniform(size=(32, units)).astype("float32")
    targets[:16, 0] = np.round(targets[:16, 0])  # some 0s and 1s change nothing: the rest are graded
    graded = int(np.sum((targets > 0) & (targets < 1)))
    model = _sigmoid_units(units)
    probe = _attached(model, counts=True)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", NotJudgedWarning)  # a check that does not apply is no withheld one
            model.fit(_rows(32), targets, batch_size=8, epochs=1, verbose=0)
            assert probe.class_counts() is None
        assert probe.unmeasurable(Kept.CLASS_COUNTS) == (
            "class balance does not apply: the targets are not labels "
            f"({graded / targets.size:.0%} of the {targets.size} target values seen lie strictly between 0 and 1)")
    finally:
        probe.detach()


def test_multi_hot_targets_under_a_per_unit_loss_are_multi_label_with_a_warning():
    targets = (np.random.default_rng(0).uniform(size=(32, 4)) > 0.5).astype("float32")
    assert (targets.sum(axis=1) > 1).any()  # rows with several labels
    model = _sigmoid_units()
    probe = _attached(model, counts=True)
    try:
        model.fit(_rows(32), targets, batch_size=8, epochs=1, verbose=0)
        with pytest.warns(NotJudgedWarning, match=r"multi-label targets \(4 units with the loss 'binary_crossentropy'"):
            assert probe.class_counts() is None
        assert probe.unmeasurable(Kept.CLASS_COUNTS).startswith("multi-label targets")
    finally:
        probe.detach()
