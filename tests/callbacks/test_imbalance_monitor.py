"""`ImbalanceMonitor` on imbalanced vs balanced data: from the user's labels, and from the class
counts of the batch probe when no labels are given."""

import math

import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

from callbacks import imbalance_monitor
from callbacks._guard import NotJudgedWarning
from callbacks.imbalance_monitor import ImbalanceMonitor


def _data(minority, n=400, seed=0):
    rng = np.random.RandomState(seed)
    y = (rng.rand(n) < minority).astype(np.int64)
    x = rng.normal(size=(n, 4)).astype(np.float32) + 0.3 * y[:, None]  # barely separable
    return x, y


def _fit(monitor, x, y, epochs=4):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.compile(keras.optimizers.SGD(0.5), keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(x, y, epochs=epochs, batch_size=100, verbose=0, callbacks=[monitor])
    return history


def test_monitor_finds_imbalance_and_an_unpredicted_minority():
    x, y = _data(minority=0.05)
    monitor = ImbalanceMonitor(y=y, validation_data=(x, y))
    history = _fit(monitor, x, y)
    assert {f.kind for f in monitor.findings} == {"class_imbalance"}
    evidence = {key for finding in monitor.findings for key in finding.evidence}
    assert "imbalance_ratio" in evidence  # the label skew
    assert "recall/1" in evidence and monitor.findings[-1].severity == "error"  # never predicted
    assert history.history["val_recall/1"][-1] == 0.0
    assert len(history.history["val_recall/0"]) == 4


def test_monitor_is_quiet_on_balanced_data():
    x, y = _data(minority=0.5)
    x = x + np.where(y[:, None] == 1, 2.0, -2.0).astype(np.float32)  # separable
    monitor = ImbalanceMonitor(y=y, validation_data=(x, y))
    _fit(monitor, x, y)
    assert monitor.findings == []


def test_monitor_reads_labels_from_a_dataset():
    x, y = _data(minority=0.05)
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(64)
    monitor = ImbalanceMonitor(y=dataset, validation_data=dataset, every=2)
    history = _fit(monitor, x, y)
    assert monitor.class_counts == {0: int((y == 0).sum()), 1: int((y == 1).sum())}
    assert math.isnan(history.history["val_recall/1"][1])  # measured on epochs 0 and 2 only


def test_monitor_bad_arguments():
    with pytest.raises(ValueError, match="Received: every=0"):
        ImbalanceMonitor(every=0)
    with pytest.raises(TypeError, match="Received: validation_data="):
        ImbalanceMonitor(validation_data=np.zeros(3))


def test_monitor_inside_training_diagnostics_reports_in_run_json(tmp_path):
    import json

    from callbacks.training_diagnostics import TrainingDiagnostics

    x, y = _data(minority=0.05)
    monitor = ImbalanceMonitor(y=y, validation_data=(x, y))
    diagnostics = TrainingDiagnostics(monitors=[monitor], report_dir=tmp_path, verbose=0)
    _fit(diagnostics, x, y)
    run = json.loads((tmp_path / "run.json").read_text())
    assert any(f["kind"] == "class_imbalance" and f["severity"] == "error" for f in run["findings"])
    assert len(run["history"]["val_recall/1"]) == 4


class _FakeProbe:
    """The batch probe's class-count API, replaying given counts (one dict per epoch)."""

    def __init__(self, epochs, fail=False):
        self.epochs, self.fail, self.read, self.attached, self.resets = list(epochs), fail, 0, 0, 0

    def class_counts(self, reset=True):
        if self.fail:
            raise RuntimeError("cannot count under this strategy")
        # The setup checks read the same epoch's counts: reading must leave them as they are.
        assert reset is False, "the monitor reset the shared class counts as it read them"
        self.read += 1
        return self.epochs[min(self.read - 1, len(self.epochs) - 1)]

    def reset_class_counts(self):
        if self.fail:
            raise RuntimeError("cannot count under this strategy")
        self.resets += 1

    def detach(self):
        self.attached -= 1


def _with_probe(monkeypatch, probe):
    def attach(model):
        probe.attached += 1
        return probe

    monkeypatch.setattr(imbalance_monitor, "_attach_class_counter", attach)


def test_without_labels_the_monitor_judges_the_probe_counts(monkeypatch):
    labels = np.array([300, 300, 300, 10], dtype=np.int64)  # class 3 at 1/30 of the others
    counts = {"train_labels": labels, "train_predicted": np.array([310, 300, 300, 0], dtype=np.int64),
              "val_labels": None, "val_correct": None}
    probe = _FakeProbe([counts])
    _with_probe(monkeypatch, probe)
    monitor = ImbalanceMonitor()
    x, y = _data(minority=0.5)
    _fit(monitor, x, y, epochs=3)
    [finding] = monitor.findings
    assert "class 3 has 10 samples" in finding.message and finding.evidence["never_predicted"] == 1
    assert probe.read == 3 and probe.attached == 0  # read once per epoch, detached at the end
    assert [counts["train_labels"] for counts in monitor.extras["epoch_counts"]] == [[300, 300, 300, 10]] * 3


def test_a_failing_probe_warns_once_switches_off_and_training_goes_on(monkeypatch):
    probe = _FakeProbe([], fail=True)
    _with_probe(monkeypatch, probe)
    monitor = ImbalanceMonitor()
    x, y = _data(minority=0.05)
    with pytest.warns(NotJudgedWarning) as warned:
        history = _fit(monitor, x, y, epochs=3)
    assert len(history.history["loss"]) == 3 and monitor.findings == []
    [message] = [str(w.message) for w in warned if issubclass(w.category, NotJudgedWarning)]
    assert "not judged" in message
    assert "RuntimeError" in monitor.extras["unjudged"] and probe.attached == 0


def _labels_cases():
    rng = np.random.RandomState(0)
    x = rng.normal(size=(600, 8)).astype(np.float32)
    digits_like = rng.randint(0, 10, size=600)
    return {
        "one_class": (x, np.full(600, 4), 10),
        "divided_by_255": (x, (digits_like / 255.0).astype(np.int64), 10),
        # Inputs that say nothing about the label: the model learns the prior, all negatives.
        "86_percent_negatives": (x * 1e-3, (rng.rand(600) < 0.14).astype(np.int64), 2),
        "long_tail": (x, np.where(rng.rand(600) < 0.3 / 9.3, 9, digits_like % 9), 10),
    }


@pytest.mark.parametrize("case", [
    "long_tail",
    pytest.param("one_class", marks=pytest.mark.slow),
    pytest.param("divided_by_255", marks=pytest.mark.slow),
    pytest.param("86_percent_negatives", marks=pytest.mark.slow),
])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_default_monitor_reports_imbalance_from_the_training_steps(case, seed):
    pytest.importorskip("callbacks._batch_probe")
    keras.utils.set_random_seed(seed)
    x, y, classes = _labels_cases()[case]
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(classes, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    monitor = ImbalanceMonitor()
    epochs = 10 if case == "86_percent_negatives" else 2  # until the prior has been learned
    model.fit(x, y, batch_size=32, epochs=epochs, verbose=0, validation_split=0.2, callbacks=[monitor])
    [finding] = monitor.findings
    assert finding.kind == "class_imbalance" and monitor.extras["unjudged"] is None
    rare = min(range(classes), key=lambda c: (y[:480] == c).sum())
    assert f"class {rare} has" in finding.message or "no training samples" in finding.message


def _multi_label_data(positive_rates, n=512, seed=0):
    """Multi-hot targets: label k is on in about `positive_rates[k]` of the rows, independently;
    the inputs carry each label (so the model can learn them)."""
    rng = np.random.RandomState(seed)
    y = (rng.rand(n, len(positive_rates)) < np.asarray(positive_rates)).astype(np.float32)
    x = np.concatenate([y * 2.0 - 1.0, rng.normal(size=(n, 3))], axis=1).astype(np.float32)
    x += 0.5 * rng.normal(size=x.shape).astype(np.float32)
    return x, y


def _multi_label_model(labels):
    model = keras.Sequential([keras.Input((labels + 3,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(labels, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy")
    return model


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_balanced_multi_label_targets_are_not_read_as_one_hot(seed):
    """5 labels with ~205 positives each of 512 rows. Read as one-hot rows (argmax: the first
    positive label) they counted like [224, 109, 47, 18, 11], a false `class_imbalance`. Labels
    of a multi-label model are separate yes/no questions, not competing classes: the monitor
    does not count classes and says so in `not_judged`."""
    keras.utils.set_random_seed(seed)
    x, y = _multi_label_data([0.4] * 5, seed=seed)
    assert np.all(np.abs(y.sum(axis=0) - 205) < 40)
    first_positive = np.bincount(np.argmax(y[y.sum(axis=1) > 0], axis=1), minlength=5)
    assert first_positive.max() > imbalance_monitor.imbalance.SKEW_RATIO * first_positive.min()  # the old reading
    monitor = ImbalanceMonitor()
    with pytest.warns(NotJudgedWarning, match="multi-label"):
        _multi_label_model(5).fit(x, y, batch_size=32, epochs=2, verbose=0, validation_split=0.2,
                                  callbacks=[monitor])
    assert monitor.findings == []
    assert "multi-label" in monitor.not_judged


def test_multi_label_labels_given_to_the_monitor_are_not_judged_as_classes():
    x, y = _multi_label_data([0.4] * 5)
    monitor = ImbalanceMonitor(y=y, validation_data=(x, y))
    with pytest.warns(NotJudgedWarning, match="multi-label"):
        history = _multi_label_model(5).fit(x, y, batch_size=64, epochs=1, verbose=0, callbacks=[monitor])
    assert monitor.findings == [] and monitor.class_counts is None
    assert "multi-label" in monitor.not_judged
    assert not any(key.startswith("val_recall/") for key in history.history)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_binary_single_unit_targets_are_counted_as_two_classes(seed):
    """A sigmoid unit with binary cross-entropy: 0/1 targets (as a column) are two classes."""
    keras.utils.set_random_seed(seed)
    x, y = _data(minority=0.04, seed=seed)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(keras.optimizers.SGD(0.5), "binary_crossentropy")
    monitor = ImbalanceMonitor()
    model.fit(x, y[:, None].astype(np.float32), epochs=2, batch_size=100, verbose=0, callbacks=[monitor])
    assert monitor.extras["epoch_counts"][-1]["train_labels"] == [int((y == 0).sum()), int((y == 1).sum())]
    [finding] = monitor.findings
    assert finding.kind == "class_imbalance" and monitor.not_judged is None


# -- what cannot be judged is said: once, as a NotJudgedWarning, and in `not_judged` --------------


def _said(warned):
    """The messages of ImbalanceMonitor's NotJudgedWarnings among `warned`."""
    return [str(w.message) for w in warned
            if issubclass(w.category, NotJudgedWarning) and str(w.message).startswith("ImbalanceMonitor")]


def test_labels_that_cannot_be_read_are_said_and_training_goes_on():
    x, y = _data(minority=0.05)
    inputs_only = tf.data.Dataset.from_tensor_slices(x).batch(64)  # a dataset without labels
    monitor = ImbalanceMonitor(y=inputs_only)
    with pytest.warns(NotJudgedWarning) as warned:
        history = _fit(monitor, x, y, epochs=2)
    assert len(history.history["loss"]) == 2 and monitor.findings == []
    [message] = _said(warned)
    assert "the labels `y` could not be read" in message and "could not be read" in monitor.not_judged


class _OwnLossClassifier(keras.Model):
    """A classifier with its own `train_step` that computes its loss without `compute_loss`."""

    def __init__(self):
        super().__init__(name="own_loss_classifier")
        self.dense = keras.layers.Dense(2)

    def call(self, x):
        return self.dense(x)

    def train_step(self, data):
        x, y = data
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, self(x), from_logits=True))
        weights = self.trainable_weights
        self.optimizer.apply_gradients(zip(tape.gradient(loss, weights), weights))
        return {"loss": loss}


def test_a_classifier_whose_steps_count_no_class_is_said():
    x, y = _data(minority=0.05)
    model = _OwnLossClassifier()
    model.compile("sgd", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    monitor = ImbalanceMonitor()
    with pytest.warns(NotJudgedWarning) as warned:
        model.fit(x, y, epochs=3, batch_size=100, verbose=0, callbacks=[monitor])
    [message] = _said(warned)  # once, not at every epoch
    assert "none of them computed its loss through `compute_loss`" in message
    assert "compute_loss" in monitor.not_judged and monitor.findings == []


def test_a_gan_has_no_classes_to_count_and_is_not_warned_about():
    """A model compiled without a loss trains no classifier: not counting classes is its normal
    outcome, noted in `not_judged` but not warned about."""
    from tests.callbacks.keras_io_gan import KerasIoGAN

    keras.utils.set_random_seed(0)
    discriminator = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)], name="discriminator")
    generator = keras.Sequential([keras.Input((2,)), keras.layers.Dense(4)], name="generator")
    gan = KerasIoGAN(discriminator, generator, latent_dim=2)
    gan.compile(keras.optimizers.Adam(1e-3), keras.optimizers.Adam(1e-3),
                keras.losses.BinaryCrossentropy(from_logits=True))
    monitor = ImbalanceMonitor()
    with warnings.catch_warnings():
        warnings.simplefilter("error", NotJudgedWarning)
        gan.fit(_data(minority=0.5)[0], batch_size=100, epochs=2, verbose=0, callbacks=[monitor])
    assert "compiled without a loss" in monitor.not_judged and monitor.findings == []


def test_validation_data_that_cannot_be_predicted_is_said_once_and_training_goes_on():
    x, y = _data(minority=0.05)
    monitor = ImbalanceMonitor(y=y, validation_data=(x[:, :3], y))  # 3 features for a 4-input model
    with pytest.warns(NotJudgedWarning) as warned:
        history = _fit(monitor, x, y, epochs=3)
    assert len(history.history["loss"]) == 3
    [message] = _said(warned)
    assert "per-class validation recall is not judged" in message and "predicted" in monitor.not_judged
    assert all(math.isnan(value) for value in history.history["val_recall/1"])
    # The labels `y` are still judged: the skew is found.
    assert [finding.kind for finding in monitor.findings] == ["class_imbalance"]


def test_multi_label_validation_targets_are_said_not_read_as_classes():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((120, 4)).astype("float32")
    y = (rng.random((120, 3)) < 0.5).astype("float32")  # multi-hot rows
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="sigmoid")])
    model.compile("sgd", "binary_crossentropy")
    monitor = ImbalanceMonitor(validation_data=(x, y))
    with pytest.warns(NotJudgedWarning) as warned:
        history = model.fit(x, y, epochs=2, batch_size=40, verbose=0, callbacks=[monitor])
    [message] = _said(warned)
    assert "validation targets are multi-label" in message and "multi-label" in monitor.not_judged
    assert all(math.isnan(value) for value in history.history["val_recall/0"]) and monitor.findings == []
