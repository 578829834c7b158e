"""`SetupMonitor` in a real `fit`: structure judged at the start, data judged once from the rows
the batch probe captured, and `fit` never broken.

The probe is `callbacks._batch_probe.shared_probe`; `FakeProbe` stands in with the same API and
hands back given rows, so these tests judge what the monitor does with them. The tests at the end
run the real probe.
"""

import warnings

import keras
import numpy as np
import pytest

from callbacks import setup_monitor
from callbacks.setup_monitor import SetupMonitor


class FakeProbe:
    """The `BatchProbe` API, serving fixed rows and recording how it is used."""

    def __init__(self, x, y, x_val=None, train_counts=None, fail=None, fingerprints=None,
                 coverage=1.0, label_pairs=None):
        self._x, self._y, self._x_val = x, y, x_val
        self._fingerprints, self._coverage = fingerprints or {}, coverage
        # {False: first pass, True: second pass} of (row, label) fingerprint pairs.
        self._label_pairs = label_pairs or {}
        self._counts = None if train_counts is None else {
            "train_labels": np.asarray(train_counts, dtype=np.int64), "train_predicted": None,
            "val_labels": None, "val_correct": None}
        self._fail = fail
        self.calls = []

    def attach(self):
        self.calls.append("attach")

    def detach(self):
        self.calls.append("detach")

    def request(self, size, targets=False, validation=False):
        self.calls.append(("request", size, targets, validation))

    def request_class_counts(self):
        self.calls.append("request_class_counts")

    def request_fingerprints(self, rows, validation_rows):
        self.calls.append(("request_fingerprints", rows, validation_rows))

    def shape_mismatch(self):
        return None  # every batch had the model's input shape

    def fingerprints(self, validation=False):
        return self._fingerprints.get(validation)

    def request_label_pairs(self, recheck_rows):
        self.calls.append(("request_label_pairs", recheck_rows))

    def label_pairs(self, recheck=False):
        return self._label_pairs.get(recheck)

    def recheck_label_pairs(self):
        self.calls.append("recheck_label_pairs")

    def fingerprint_coverage(self, steps):
        self.calls.append(("fingerprint_coverage", steps))
        return self._coverage

    def stop_fingerprints(self):
        self.calls.append("stop_fingerprints")

    def batch(self, validation=False):
        if self._fail:
            raise self._fail
        return None if self._x is None else (self._x, self._y)

    def inputs(self, validation=False):
        return self._x_val if validation else self._x

    def class_counts(self, reset=True):
        self.calls.append(("class_counts", reset))
        return self._counts


@pytest.fixture
def use_probe(monkeypatch):
    def install(probe):
        monkeypatch.setattr(setup_monitor, "_shared_probe", lambda model: probe)
        return probe
    return install


def _classifier(output_activation="softmax", units=2, loss="sparse_categorical_crossentropy"):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu"),
                              keras.layers.Dense(units, activation=output_activation, name="out")])
    model.compile(optimizer="adam", loss=loss)
    return model


def _data(seed, rows=128, scale=1.0):
    rng = np.random.default_rng(seed)
    x = (rng.normal(size=(rows, 4)) * scale).astype("float32")
    return x, (x[:, 0] > 0).astype("int64")


def _fit(model, monitor, x, y, **kwargs):
    model.fit(x, y, batch_size=32, epochs=1, verbose=0, callbacks=[monitor], **kwargs)
    return [(f.kind, f.layer) for f in monitor.findings]


def test_structure_is_judged_at_train_begin(use_probe):
    x, y = _data(0)
    use_probe(FakeProbe(x, y))
    model = _classifier("softmax", units=1, loss="binary_crossentropy")
    monitor = SetupMonitor()
    monitor.set_model(model)
    monitor.on_train_begin()
    assert [(f.kind, f.layer) for f in monitor.findings] == [("output_loss_mismatch", "out")]


@pytest.mark.parametrize("scale, expected", [(3e9, [("unnormalized_input", "input_layer")]),
                                             (1.0, [])])
def test_huge_inputs_found_from_the_captured_rows(use_probe, scale, expected):
    x, y = _data(0, scale=scale)
    probe = use_probe(FakeProbe(x[:32], y[:32]))
    monitor = SetupMonitor(rows=32)
    assert _fit(_classifier(), monitor, x, y) == expected
    assert probe.calls == ["attach", ("request", 32, True, False), ("request", 32, True, True),
                           "request_class_counts", ("request_fingerprints", 65_536, 512),
                               ("request_label_pairs", 4096),
                           ("class_counts", False), ("fingerprint_coverage", 4), "stop_fingerprints",
                           "detach"]


def test_labels_divided_by_255_found(use_probe):
    x, y = _data(0)
    use_probe(FakeProbe(x, y / 255))
    assert _fit(_classifier(), SetupMonitor(), x, y) == [("label_mismatch", "out")]


@pytest.mark.parametrize("counts, expected", [([0, 500], [("label_mismatch", "out")]),
                                              ([250, 250], [])])
def test_single_class_judged_on_the_epoch_label_counts(use_probe, counts, expected):
    """Ten captured rows are too few to call one class; the epoch's counts are not."""
    x, y = _data(0)
    use_probe(FakeProbe(x[:10], np.ones(10, dtype="int64"), train_counts=counts))
    assert _fit(_classifier(), SetupMonitor(), x, y) == expected


@pytest.mark.parametrize("validation_scale, expected", [
    (255.0, [("unnormalized_input", "input_layer")]), (1.0, [])])
def test_validation_inputs_on_another_scale(use_probe, validation_scale, expected):
    x, y = _data(0)
    x_val, _ = _data(1)
    use_probe(FakeProbe(x, y, x_val * validation_scale))
    monitor = SetupMonitor()
    assert _fit(_classifier(), monitor, x, y, validation_data=(x_val, y)) == expected


def test_validation_rows_copying_training_rows(use_probe):
    x, y = _data(0)
    use_probe(FakeProbe(x, y, x.copy()))
    assert _fit(_classifier(), SetupMonitor(), x, y, validation_data=(x, y)) == [
        ("suspicious_config", None)]


def test_a_probe_that_fails_never_breaks_fit(use_probe):
    x, y = _data(0)
    use_probe(FakeProbe(x, y, fail=RuntimeError("cannot capture under XLA")))
    monitor = SetupMonitor()
    model = _classifier("relu", units=2)
    with pytest.warns(UserWarning, match="could not judge the data") as caught:
        history = model.fit(x, y, epochs=3, verbose=0, callbacks=[monitor])
    assert len(history.history["loss"]) == 3
    assert [(f.kind, f.layer) for f in monitor.findings] == [("output_loss_mismatch", "out")]
    assert len([w for w in caught if "SetupMonitor" in str(w.message)]) == 1
    assert monitor.extras == {"not_judged": [
        "the data: RuntimeError: cannot capture under XLA"]}


def test_without_a_probe_module_structure_is_still_judged(monkeypatch):
    def missing(model):
        raise ImportError("no module named callbacks._batch_probe")
    monkeypatch.setattr(setup_monitor, "_shared_probe", missing)
    x, y = _data(0)
    monitor = SetupMonitor()
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        _fit(_classifier("softmax", units=1, loss="binary_crossentropy"), monitor, x, y)
    assert [f.kind for f in monitor.findings] == ["output_loss_mismatch"]
    assert monitor.extras["not_judged"][0].startswith("the data (no batch probe): ImportError")


def test_no_captured_batch_is_said(use_probe):
    x, y = _data(0)
    use_probe(FakeProbe(None, None))
    monitor = SetupMonitor()
    with pytest.warns(UserWarning, match="captured no training batch"):
        _fit(_classifier(), monitor, x, y)
    assert monitor.findings == []


def test_registered_and_configurable():
    assert keras.saving.get_registered_name(SetupMonitor) == "zoo_diagnostics>SetupMonitor"
    assert keras.saving.get_custom_objects()["callbacks>SetupMonitor"] is SetupMonitor
    monitor = SetupMonitor.from_config(SetupMonitor(rows=64, verbose=1).get_config())
    assert (monitor.rows, monitor.verbose) == (64, 1)
    assert SetupMonitor.async_safe is True


@pytest.mark.parametrize("kwargs, match", [({"rows": 0}, "Received: rows=0"),
                                           ({"verbose": 3}, "Received: verbose=3")])
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SetupMonitor(**kwargs)


# -- with the real probe ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed, jit_compile", [
    (0, False), (1, False), (2, False), (0, True),
    pytest.param(1, True, marks=pytest.mark.slow), pytest.param(2, True, marks=pytest.mark.slow),
])
def test_real_probe_finds_huge_inputs_and_scaled_labels(seed, jit_compile):
    x, y = _data(seed, rows=256, scale=3e9)
    model = _classifier()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", jit_compile=jit_compile)
    monitor = SetupMonitor()
    model.fit(x, y / 255, batch_size=32, epochs=1, verbose=0, callbacks=[monitor])
    assert sorted(f.kind for f in monitor.findings) == ["label_mismatch", "unnormalized_input"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_real_probe_quiet_on_healthy_data(seed):
    x, y = _data(seed, rows=256)
    x_val, y_val = _data(seed + 10, rows=64)
    monitor = SetupMonitor()
    _classifier().fit(x, y, batch_size=32, epochs=1, verbose=0, callbacks=[monitor],
                      validation_data=(x_val, y_val))
    assert monitor.findings == [] and monitor.not_judged == []


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("shuffled_apart", [True, False])
def test_real_probe_finds_labels_shuffled_apart_from_their_rows(seed, shuffled_apart):
    """Features and labels shuffled by two pipelines and zipped (binary labels: about half of the
    rows change label between epochs), against the one pipeline of pairs that is the fix."""
    import tensorflow as tf

    x, y = _data(seed, rows=512)
    if shuffled_apart:
        pipeline = tf.data.Dataset.zip((tf.data.Dataset.from_tensor_slices(x).shuffle(512, seed=seed),
                                        tf.data.Dataset.from_tensor_slices(y).shuffle(512, seed=seed + 1)))
    else:
        pipeline = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(512, seed=seed)
    monitor = SetupMonitor()
    _classifier().fit(pipeline.batch(32), epochs=3, verbose=0, callbacks=[monitor])
    found = [(f.kind, f.layer, f.evidence.get("rechecked_rows")) for f in monitor.findings]
    assert found == ([("label_mismatch", "out", 512)] if shuffled_apart else [])
    if shuffled_apart:
        assert 0.3 < monitor.findings[0].evidence["relabelled_share"] < 0.7


def test_a_subclassed_model_says_its_outputs_were_not_judged(use_probe):
    class Tiny(keras.Model):
        def __init__(self):
            super().__init__()
            self.head = keras.layers.Dense(2, activation="softmax")

        def call(self, x):
            return self.head(x)

    x, y = _data(0)
    use_probe(FakeProbe(x, y))
    model = Tiny()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    monitor = SetupMonitor()
    with pytest.warns(UserWarning, match="subclassed model"):
        _fit(model, monitor, x, y)
    assert monitor.findings == []
    assert monitor.extras == {"not_judged": [
        "the outputs against the loss: a subclassed model has no graph to read"]}


def test_joins_training_diagnostics():
    from callbacks import DEFAULT_MONITORS, TrainingDiagnostics

    x, y = _data(0, rows=256)
    diagnostics = TrainingDiagnostics(monitors=[*DEFAULT_MONITORS, SetupMonitor], verbose=0)
    model = _classifier("softmax", units=1, loss="binary_crossentropy")
    model.fit(x, y.astype("float32"), batch_size=32, epochs=2, verbose=0, callbacks=[diagnostics])
    assert ("output_loss_mismatch", "out") in [(f.kind, f.layer) for f in diagnostics.findings]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("rescale, expected", [(False, ["unnormalized_input"]), (True, [])])
def test_raw_pixels_whose_first_epoch_does_worse_than_chance(seed, rescale, expected):
    """Raw 0-255 digits into a ReLU MLP: the first epoch's loss is many times the chance loss.
    The same pixels with a Rescaling(1/255) first layer are normalized inside: no finding."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    x, y = (digits.data * 16).astype("float32"), digits.target
    keras.utils.set_random_seed(seed)
    scaling = [keras.layers.Rescaling(1 / 255)] if rescale else []
    model = keras.Sequential([keras.Input((64,)), *scaling, keras.layers.Dense(64, activation="relu"),
                              keras.layers.Dense(64, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="sparse_categorical_crossentropy")
    monitor = SetupMonitor()
    model.fit(x, y, batch_size=32, epochs=1, verbose=0, callbacks=[monitor])
    assert [f.kind for f in monitor.findings] == expected


@pytest.mark.parametrize("name", ["masked_transformer", "siamese", "residual_with_operators"])
def test_graphs_with_operations_are_judged_whole(name):
    """Graphs holding `keras.ops` Operations (NotEqual of a mask, Absolute, Add): the structure
    is read, nothing goes to `not_judged`, and no warning is raised."""
    from tests.diagnostics.test_setup_graphs import graph_case

    model, x, y = graph_case(name)
    monitor = SetupMonitor()
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="SetupMonitor")
        model.fit(x, y, batch_size=32, epochs=1, verbose=0, callbacks=[monitor])
    assert monitor.not_judged == [] and monitor.findings == []


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("sort", [True, False])
def test_validation_split_on_rows_sorted_by_label(seed, sort):
    """validation_split takes the last 20% of the rows: sorted by label, classes 8 and 9 are
    never trained on; the epoch's label counts show it."""
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    order = np.argsort(y, kind="stable") if sort else np.random.default_rng(seed).permutation(len(y))
    x, y = (x[order] / 16).astype("float32"), y[order]
    cut = int(len(x) * (1 - 0.2))  # Keras' own split point for validation_split=0.2
    expected = len(np.setdiff1d(y[cut:], y[:cut]))
    assert expected == (2 if sort else 0)
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    monitor = SetupMonitor()
    model.fit(x, y, batch_size=128, epochs=1, verbose=0, validation_split=0.2, callbacks=[monitor])
    assert [(f.kind, f.evidence.get("validation_only_classes")) for f in monitor.findings] == (
        [("label_mismatch", expected)] if expected else [])


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("state, expected", [("unfrozen", 2), ("unfrozen_bn_frozen", 0)])
def test_fine_tuning_with_batchnorm_unfrozen(seed, state, expected):
    from tests.diagnostics.test_setup_graphs import fine_tuned

    rng = np.random.default_rng(seed)
    x, y = rng.normal(size=(128, 6)).astype("float32"), rng.integers(0, 3, 128)
    keras.utils.set_random_seed(seed)
    model = fine_tuned(state)
    monitor = SetupMonitor()
    model.fit(x, y, batch_size=32, epochs=1, verbose=0, callbacks=[monitor])
    assert [(f.kind, f.evidence.get("unfrozen_batchnorm_layers")) for f in monitor.findings] == (
        [("suspicious_config", expected)] if expected else [])


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("standardize", [False, True])
def test_uncentred_features_found_from_the_captured_rows(seed, standardize):
    """Features around 65-70 with a class signal of 3, into ReLU units."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 512)
    x = rng.uniform(65, 70, size=(512, 8)) + 3.0 * y[:, None] * (np.arange(8) < 4)
    if standardize:
        x = (x - x.mean(axis=0)) / x.std(axis=0)
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    monitor = SetupMonitor()
    model.fit(x.astype("float32"), y, batch_size=64, epochs=1, verbose=0, callbacks=[monitor])
    assert [(f.kind, f.evidence.get("uncentred_features")) for f in monitor.findings] == (
        [] if standardize else [("unnormalized_input", 8)])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_nan_targets_lead_with_cleaning_them_not_with_a_learning_rate(seed):
    """A regression whose targets hold NaN in 5% of the rows (among the rows the probe keeps): the
    loss turns NaN. The targets are the cause, and what only the user can do (clean them) leads
    both it and the NaN it explains."""
    from sklearn.datasets import load_breast_cancer

    from callbacks import TrainingDiagnostics

    x = load_breast_cancer().data
    x = ((x - x.mean(axis=0)) / x.std(axis=0)).astype("float32")
    rng = np.random.default_rng(seed)
    target = x[:, 0].copy()
    target[rng.choice(len(target), len(target) // 20, replace=False)] = np.nan
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((29,)), keras.layers.Dense(32, activation="relu"), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    diagnostics = TrainingDiagnostics(verbose=0, report_dir=None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(x[:, 1:], target, batch_size=32, epochs=2, verbose=0, callbacks=[diagnostics])
    lead, *rest = diagnostics.findings
    assert (lead.kind, lead.severity) == ("label_mismatch", "error") and lead.evidence["non_finite_targets"] > 0
    [nan] = [f for f in rest if f.kind == "non_finite"]
    assert nan.explained_by == "label_mismatch"
    for finding in (lead, nan):
        assert (finding.remedies[0].action, finding.remedies[0].applicable) == ("fix_data", False)
        assert finding.remedies[0].sentence.startswith(("The targets hold", "Check the targets for NaN"))


def _long_tail_split(seed, rare_rows=4, validation_rows=400):
    """Digits: a validation split that holds every class, and training rows where one class has
    only `rare_rows` rows, all after the first quarter of the rows."""
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = (x / 16).astype("float32")
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(y))
    validation, rest = order[:validation_rows], order[validation_rows:]
    rare = seed % 10
    common = rest[y[rest] != rare]
    spots = np.sort(rng.choice(np.arange(len(common) // 4 + 32, len(common)), rare_rows, replace=False))
    train = np.insert(common, spots - np.arange(rare_rows), rest[y[rest] == rare][:rare_rows])
    return (x[train], y[train]), (x[validation], y[validation]), rare


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_rare_class_an_epoch_cut_short_did_not_reach_is_not_called_absent(seed):
    """4 of ~1260 training rows hold the rare class, all beyond the first quarter; the validation
    split holds ~40 of them. An epoch of steps_per_epoch covering a quarter of the rows never
    meets them: the class is rare in training, not absent, and no label_mismatch is invented."""
    (x, y), (x_val, y_val), rare = _long_tail_split(seed)
    assert np.count_nonzero(y == rare) == 4 and np.count_nonzero(y_val == rare) >= 20
    steps = len(x) // 4 // 32
    assert rare not in y[:steps * 32]  # a class the quarter never shows
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    monitor = SetupMonitor()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(x, y, batch_size=32, epochs=1, steps_per_epoch=steps, shuffle=False, verbose=0,
                  validation_data=(x_val, y_val), callbacks=[monitor])
    assert [f.kind for f in monitor.findings] == []
    [note] = monitor.not_judged
    assert note.startswith(f"the validation classes absent from training: the first epoch's {steps * 32} rows "
                           f"came in {steps} batches of one size")
    assert any("validation classes absent" in str(w.message) for w in caught)

