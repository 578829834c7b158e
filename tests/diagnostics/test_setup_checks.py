"""`check_setup` on reconstructions of real bugs (each with its fixed twin), and quiet on healthy
set-ups: every zoo builder with its documented loss, sklearn datasets with the usual scaling."""

import doctest

import keras
import numpy as np
import pytest
import tensorflow as tf
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import zoo
from diagnostics import judge, setup_checks, setup_data, setup_model
from diagnostics.findings import Finding
from diagnostics.remedies import describe_setup, remedies_for
from diagnostics.setup_checks import check_setup

def _model(input_shape, *layers, optimizer="adam", loss=None):
    model = keras.Sequential([keras.Input(input_shape), *layers])
    if loss is not None:
        model.compile(optimizer=optimizer, loss=loss)
    return model


def _kinds_layers(findings):
    return [(f.kind, f.layer) for f in findings]


def _digits():
    digits = load_digits()
    return digits.data.astype("float32"), digits.target


def _one_hot(labels, classes=10):
    return np.eye(classes, dtype="float32")[labels]


def _rng():
    return np.random.default_rng(0)


# -- output_loss_mismatch ------------------------------------------------------------------------


def test_single_unit_softmax_outputs_a_constant_and_is_found():
    x = _rng().normal(size=(64, 4)).astype("float32")
    y = (x[:, 0] > 0).astype("float32")
    model = _model((4,), keras.layers.Dense(8, activation="relu"),
                   keras.layers.Dense(1, activation="softmax", name="out"),
                   loss="binary_crossentropy")
    # The bug itself, measured with Keras alone: constant predictions, zero gradients through them.
    with tf.GradientTape() as tape:
        predictions = model(x)
        loss = keras.ops.mean((predictions - y[:, None]) ** 2)
    # (To the last float32 bit on some CPUs: the kernels without oneDNN round to 1 - 2**-24.)
    assert np.ptp(predictions) == 0 and np.asarray(predictions) == pytest.approx(1.0, abs=1e-6)
    gradients = tape.gradient(loss, model.trainable_variables)
    assert max(float(np.abs(g).max()) for g in gradients) < 1e-6

    findings = check_setup(model, x, y)
    assert _kinds_layers(findings) == [("output_loss_mismatch", "out")]
    assert findings[0].severity == "error" and "softmax" in findings[0].message


def test_single_unit_sigmoid_twin_is_quiet():
    x = _rng().normal(size=(64, 4)).astype("float32")
    model = _model((4,), keras.layers.Dense(8, activation="relu"),
                   keras.layers.Dense(1, activation="sigmoid"), loss="binary_crossentropy")
    assert check_setup(model, x, (x[:, 0] > 0).astype("float32")) == []


@pytest.mark.parametrize("activation, expected", [("sigmoid", 1), ("softmax", 0)])
def test_sigmoid_with_categorical_crossentropy_on_raw_pixels(activation, expected):
    x, labels = _digits()
    pixels = np.round(x * 255 / 16).reshape(-1, 8, 8, 1)  # raw 0..255 pixels
    model = _model((8, 8, 1), keras.layers.Flatten(), keras.layers.Dense(32, activation="relu"),
                   keras.layers.Dense(10, activation=activation, name="out"),
                   loss="categorical_crossentropy")
    findings = check_setup(model, pixels, _one_hot(labels))
    # Raw 8-bit pixels alone are no finding: such models train well.
    assert _kinds_layers(findings) == [("output_loss_mismatch", "out")] * expected


@pytest.mark.parametrize("pixel_scale, loss_over_chance, expected, needs_consequence", [
    (255, 5.0, ["unnormalized_input"], False),  # raw bytes, and the first epoch did worse than guessing
    (255, 1.5, ["unnormalized_input"], True),   # raw bytes that train well: only beside a consequence
    (255, None, ["unnormalized_input"], True),  # not trained yet: the same
    (1, 5.0, [], None),                         # [0, 1] images: the loss has another cause
])
def test_raw_pixels_stand_alone_only_when_the_first_epoch_shows_the_harm(pixel_scale, loss_over_chance,
                                                                         expected, needs_consequence):
    x, labels = _digits()
    model = _digits_classifier()
    inputs, outputs = setup_model.describe_model(model)
    findings = setup_checks.check_data(inputs, outputs, x * pixel_scale / 16, labels,
                                       first_loss_over_chance=loss_over_chance)
    assert [f.kind for f in findings] == expected
    if expected:
        assert findings[0].evidence["input_max_abs"] == 255
        assert findings[0].evidence.get("first_loss_over_chance") == (None if needs_consequence else loss_over_chance)
        assert bool(findings[0].evidence.get("needs_consequence")) == needs_consequence
        # Alone, the judge leaves the unconfirmed one out; beside the saturation it explains, it leads.
        saturation = Finding("saturation", "warning", 1, "dense", "90% of the units are saturated.")
        assert [f.kind for f in judge({"history": {}, "extras": {"SetupMonitor": {"findings": [
            f.to_dict() for f in findings]}}})] == ([] if needs_consequence else ["unnormalized_input"])
        assert [(f.kind, f.explained_by) for f in judge({"history": {}, "extras": {"SetupMonitor": {"findings": [
            f.to_dict() for f in findings + [saturation]]}}})] == [
            ("unnormalized_input", None), ("saturation", "unnormalized_input")]


@pytest.mark.parametrize("activation, key", [("relu", "relu_output_units"),
                                             ("linear", "linear_output_units"),
                                             ("tanh", "tanh_output_units")])
def test_non_probability_output_with_crossentropy(activation, key):
    model = _model((4,), keras.layers.Dense(8, activation="relu"),
                   keras.layers.Dense(3, activation=activation, name="out"),
                   loss="categorical_crossentropy")
    findings = check_setup(model)
    assert _kinds_layers(findings) == [("output_loss_mismatch", "out")]
    assert findings[0].severity == "error" and findings[0].evidence == {key: 3}


def test_relu_output_makes_keras_crossentropy_nan():
    """Why the ReLU-output finding is an error: all-zero ReLU outputs give a NaN loss."""
    loss = keras.losses.categorical_crossentropy(np.eye(3)[:2], np.zeros((2, 3), "float32"))
    assert np.isnan(np.asarray(loss)).all()


@pytest.mark.parametrize("loss", [
    "categorical_crossentropy", keras.losses.SparseCategoricalCrossentropy(from_logits=True)])
def test_class_crossentropy_over_one_unit(loss):
    model = _model((4,), keras.layers.Dense(1, activation="sigmoid", name="out"), loss=loss)
    findings = check_setup(model)
    assert [(f.kind, f.evidence) for f in findings] == [
        ("output_loss_mismatch", {"class_loss_units": 1})]
    constant = keras.losses.categorical_crossentropy(  # Keras' own loss: 0 whatever the output
        np.ones((2, 1)), np.array([[0.2], [0.9]]))
    assert np.asarray(constant) == pytest.approx([0.0, 0.0], abs=1e-6)


def test_logits_with_from_logits_loss_is_quiet():
    model = _model((4,), keras.layers.Dense(3, name="out"),
                   loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    assert check_setup(model) == []


def test_logits_with_probability_loss_string():
    model = _model((4,), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(3, name="out"),
                   loss="sparse_categorical_crossentropy")
    assert _kinds_layers(check_setup(model)) == [("output_loss_mismatch", "out")]


@pytest.mark.parametrize("from_logits, expected", [(True, 1), (False, 0)])
def test_probabilities_into_from_logits_loss(from_logits, expected):
    model = _model((4,), keras.layers.Dense(3, activation="softmax", name="out"),
                   loss=keras.losses.CategoricalCrossentropy(from_logits=from_logits))
    assert _kinds_layers(check_setup(model)) == [("output_loss_mismatch", "out")] * expected


@pytest.mark.parametrize("activation, expected", [("softmax", 1), (None, 0)])
@pytest.mark.parametrize("loss", [zoo.losses.LogitAdjustedLoss, zoo.losses.LDAMLoss])
def test_probabilities_into_zoo_logit_losses(loss, activation, expected):
    model = _model((4,), keras.layers.Dense(3, activation=activation, name="out"),
                   loss=loss(class_counts=[50, 30, 20]))
    assert _kinds_layers(check_setup(model)) == [("output_loss_mismatch", "out")] * expected


@pytest.mark.parametrize("activation, expected", [("softmax", 1), ("sigmoid", 0)])
def test_softmax_with_binary_crossentropy_multilabel(activation, expected):
    y = (_rng().uniform(size=(64, 5)) > 0.5).astype("float32")  # several labels per row
    model = _model((4,), keras.layers.Dense(5, activation=activation, name="out"), loss="bce")
    findings = check_setup(model, _rng().normal(size=(64, 4)), y)
    assert _kinds_layers(findings) == [("output_loss_mismatch", "out")] * expected


def test_activation_layer_after_linear_dense_counts_as_the_output_activation():
    model = _model((4,), keras.layers.Dense(1, name="logit"),
                   keras.layers.Activation("softmax", name="prob"), loss="binary_crossentropy")
    assert _kinds_layers(check_setup(model)) == [("output_loss_mismatch", "prob")]


@pytest.mark.parametrize("as_dict", [True, False])
def test_multi_output_losses_judged_per_output(as_dict):
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(8, activation="relu")(inputs)
    outputs = {"kind": keras.layers.Dense(3, activation="relu", name="kind")(hidden),
               "flag": keras.layers.Dense(1, activation="sigmoid", name="flag")(hidden)}
    model = keras.Model(inputs, outputs)
    losses = {"kind": "categorical_crossentropy", "flag": "binary_crossentropy"}
    model.compile(optimizer="adam",
                  loss=losses if as_dict else [losses[name] for name in model.output_names])
    assert _kinds_layers(check_setup(model)) == [("output_loss_mismatch", "kind")]


def test_uncompiled_model_judged_on_structure_only():
    model = _model((4,), keras.layers.Dense(1, activation="softmax", name="out"))
    assert _kinds_layers(check_setup(model)) == [("output_loss_mismatch", "out")]
    assert check_setup(_model((4,), keras.layers.Dense(3, activation="relu"))) == []


# -- label_mismatch -------------------------------------------------------------------------------


def _digits_classifier(loss="sparse_categorical_crossentropy", activation="softmax"):
    return _model((64,), keras.layers.Dense(32, activation="relu"),
                  keras.layers.Dense(10, activation=activation, name="out"), loss=loss)


def test_labels_divided_by_255_with_sparse_loss():
    x, labels = _digits()
    findings = check_setup(_digits_classifier(), x / 16, labels / 255)
    assert _kinds_layers(findings) == [("label_mismatch", "out")]
    assert findings[0].evidence["fractional_labels"] == np.count_nonzero(labels)


def test_labels_divided_by_255_then_cast_are_one_class():
    x, labels = _digits()
    findings = check_setup(_digits_classifier(), x / 16, (labels / 255).astype("int64"))
    assert _kinds_layers(findings) == [("label_mismatch", "out")]
    assert findings[0].evidence == {"distinct_labels": 1, "rows": len(labels)}


def test_a_small_sample_of_one_class_is_not_judged():
    """200 rows may all come from a 99% class by chance (p = 0.13)."""
    x, labels = _digits()
    assert check_setup(_digits_classifier(), x[:200] / 16, np.full(200, 3)) == []


def test_integer_labels_twin_is_quiet():
    x, labels = _digits()
    assert check_setup(_digits_classifier(), x / 16, labels) == []


@pytest.mark.parametrize("shift, expected", [(1, 1), (0, 0)])
def test_labels_out_of_range_with_sparse_loss(shift, expected):
    x, labels = _digits()  # 1..10 for an output of 10 units
    findings = check_setup(_digits_classifier(), x / 16, labels + shift)
    assert _kinds_layers(findings) == [("label_mismatch", "out")] * expected
    if expected:
        assert findings[0].evidence["labels_out_of_range"] == np.count_nonzero(labels == 9)


def test_one_hot_labels_with_sparse_loss():
    x, labels = _digits()
    findings = check_setup(_digits_classifier(), x / 16, _one_hot(labels))
    assert _kinds_layers(findings) == [("label_mismatch", "out")]


@pytest.mark.parametrize("one_hot, expected", [(False, 1), (True, 0)])
def test_integer_labels_with_categorical_loss(one_hot, expected):
    x, labels = _digits()
    y = _one_hot(labels) if one_hot else labels[:, None]
    findings = check_setup(_digits_classifier("categorical_crossentropy"), x / 16, y)
    assert _kinds_layers(findings) == [("label_mismatch", "out")] * expected


@pytest.mark.parametrize("activation, targets, expected", [
    ("sigmoid", (3.0, 103.0), 1), ("linear", (3.0, 103.0), 0), ("sigmoid", (0.0, 1.0), 0),
    ("tanh", (-2.0, 2.0), 1), ("tanh", (-1.0, 1.0), 0), ("relu", (-5.0, 5.0), 1),
    ("relu", (0.0, 5.0), 0),
])
def test_regression_targets_outside_output_range(activation, targets, expected):
    x = _rng().normal(size=(200, 3))
    y = np.linspace(*targets, 200)
    model = _model((3,), keras.layers.Dense(8, activation="relu"),
                   keras.layers.Dense(1, activation=activation, name="out"), loss="mse")
    findings = check_setup(model, x, y)
    assert _kinds_layers(findings) == [("label_mismatch", "out")] * expected
    if expected:
        assert (findings[0].evidence["label_min"], findings[0].evidence["label_max"]) == targets


def test_binary_targets_outside_unit_interval():
    x = _rng().normal(size=(200, 3))
    model = _model((3,), keras.layers.Dense(1, activation="sigmoid", name="out"), loss="bce")
    assert _kinds_layers(check_setup(model, x, np.linspace(3, 103, 200))) == [
        ("label_mismatch", "out")]


# -- unnormalized_input ---------------------------------------------------------------------------


def _relu_net(input_shape=(4,), first=()):
    return _model(input_shape, *first, keras.layers.Dense(16, activation="relu"),
                  keras.layers.Dense(2, activation="softmax"),
                  loss="sparse_categorical_crossentropy")


def _binary_labels(rows):
    return np.arange(rows) % 2


@pytest.mark.parametrize("scale, expected", [(3e9, 1), (1.0, 0)])
def test_inputs_up_to_3e9_into_relu_net(scale, expected):
    x = _rng().uniform(0, 1, size=(256, 4)) * scale
    findings = check_setup(_relu_net(), x, _binary_labels(256))
    assert [f.kind for f in findings] == ["unnormalized_input"] * expected
    if expected:
        assert findings[0].evidence["input_max_abs"] == pytest.approx(x.max())


def test_tiny_inputs():
    x = _rng().uniform(0, 1e-5, size=(256, 4))
    assert [f.kind for f in check_setup(_relu_net(), x, _binary_labels(256))] == [
        "unnormalized_input"]


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_inputs(bad):
    x = _rng().normal(size=(256, 4))
    x[[3, 50], 1] = bad
    findings = check_setup(_relu_net(), x, _binary_labels(256))
    assert [f.kind for f in findings] == ["unnormalized_input"]
    assert findings[0].severity == "error" and findings[0].evidence["non_finite_inputs"] == 2


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_non_finite_targets_are_a_label_mismatch_whose_fix_is_the_users(bad):
    x, y = _rng().normal(size=(256, 4)), _rng().normal(size=256)
    y[[7, 90, 200]] = bad
    regression = _model((4,), keras.layers.Dense(8, activation="relu"), keras.layers.Dense(1), loss="mse")
    [finding] = check_setup(regression, x, y)
    assert (finding.kind, finding.severity) == ("label_mismatch", "error")
    assert finding.evidence == {"non_finite_targets": 3, "non_finite_rows": 3}
    [remedy] = remedies_for(finding, describe_setup(regression))
    assert (remedy.action, remedy.applicable) == ("fix_data", False)
    assert remedy.sentence.startswith("The targets hold 3 NaN or inf values in 3 rows")
    y[[7, 90, 200]] = 0.0
    assert check_setup(regression, x, y) == []


def test_constant_input_from_integer_division():
    pixels = _rng().integers(0, 255, size=(256, 8, 8, 1), dtype=np.uint8)  # no 255
    model = _relu_net((8, 8, 1), (keras.layers.Flatten(),))
    findings = check_setup(model, pixels // 255, _binary_labels(256))
    assert [f.kind for f in findings] == ["unnormalized_input"]
    assert findings[0].evidence == {"rows": 256, "constant_value": 0.0}
    assert check_setup(model, pixels / 255, _binary_labels(256)) == []


def test_sparse_features_constant_in_a_standardized_subset_are_quiet():
    """Pixels rarely on are constant (and non-zero once standardized) in a sample of rows."""
    x, labels = _digits()
    standardized = StandardScaler().fit_transform(x)[:400]
    constant_nonzero = (np.ptp(standardized, axis=0) == 0) & (standardized[0] != 0)
    assert constant_nonzero.any()
    assert check_setup(_digits_classifier(), standardized, labels[:400]) == []


@pytest.mark.parametrize("loader", [load_breast_cancer, load_wine])
def test_raw_tabular_features_orders_apart(loader):
    x, y = loader(return_X_y=True)
    model = _model((x.shape[1],), keras.layers.Dense(16, activation="relu"),
                   keras.layers.Dense(3, activation="softmax"),
                   loss="sparse_categorical_crossentropy")
    findings = check_setup(model, x, y)
    assert [f.kind for f in findings] == ["unnormalized_input"]
    expected_ratio = np.abs(x).max(axis=0).max() / np.abs(x).max(axis=0).min()
    assert findings[0].evidence["feature_scale_ratio"] == pytest.approx(expected_ratio)


@pytest.mark.parametrize("first", [
    lambda x: keras.layers.Normalization(mean=x.mean(0), variance=x.var(0)),
    lambda x: keras.layers.BatchNormalization(),
    lambda x: keras.layers.LayerNormalization(),
    lambda x: keras.layers.Rescaling(1 / 4000),
])
def test_no_input_finding_when_the_model_normalizes_first(first):
    x, y = load_breast_cancer(return_X_y=True)
    model = _model((30,), first(x), keras.layers.Dense(16, activation="relu"),
                   keras.layers.Dense(2, activation="softmax"),
                   loss="sparse_categorical_crossentropy")
    assert check_setup(model, x, y) == []


class _TokenAndPosition(keras.layers.Layer):
    """keras.io's token-and-position embedding: a layer of its own that holds two Embeddings."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.tokens, self.positions = keras.layers.Embedding(5000, 8), keras.layers.Embedding(12, 8)

    def call(self, x):
        return self.tokens(x) + self.positions(keras.ops.arange(0, 12))


@pytest.mark.parametrize("first, expected", [
    (lambda: keras.layers.Embedding(5000, 8), 0),
    (lambda: _TokenAndPosition(), 0),
    (lambda: keras.layers.Dense(8, activation="relu"), 1)], ids=["embedding", "token_and_position", "dense"])
def test_integer_tokens_into_embedding_are_not_inputs_to_normalize(first, expected):
    tokens = _rng().integers(0, 5000, size=(256, 12))
    model = _model((12,), first(), keras.layers.Flatten(), keras.layers.Dense(2, activation="softmax"),
                   loss="sparse_categorical_crossentropy")
    findings = check_setup(model, tokens, _binary_labels(256))
    assert [f.kind for f in findings] == ["unnormalized_input"] * expected


def test_normalization_inside_a_nested_model_counts():
    x, y = load_breast_cancer(return_X_y=True)
    preprocess = keras.Sequential([keras.Input((30,)), keras.layers.Rescaling(1 / 4000)])
    inputs = keras.Input((30,))
    outputs = keras.layers.Dense(2, activation="softmax")(
        keras.layers.Dense(8, activation="relu")(preprocess(inputs)))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    assert check_setup(model, x, y) == []


def test_multi_input_judged_per_input():
    tokens = keras.Input((6,), name="tokens", dtype="int32")
    numbers = keras.Input((3,), name="numbers")
    embedded = keras.layers.Flatten()(keras.layers.Embedding(900, 4)(tokens))
    joined = keras.layers.Concatenate()([embedded, numbers])
    model = keras.Model({"tokens": tokens, "numbers": numbers},
                        keras.layers.Dense(1, activation="sigmoid")(joined))
    model.compile(optimizer="adam", loss="bce")
    x = {"tokens": _rng().integers(0, 900, size=(256, 6)),
         "numbers": _rng().normal(size=(256, 3)) * 1e5}
    findings = check_setup(model, x, _binary_labels(256))
    assert [(f.kind, "'numbers'" in f.message) for f in findings] == [("unnormalized_input", True)]


@pytest.mark.parametrize("validation_scale, expected", [(255.0, 1), (1.0, 0)])
def test_validation_scaled_differently(validation_scale, expected):
    x, labels = _digits()
    x_train, x_val, y_train, y_val = train_test_split(x / 16, labels, random_state=0)
    findings = check_setup(_digits_classifier(), x_train, y_train,
                           validation_data=(x_val * validation_scale, y_val))
    assert [f.kind for f in findings] == ["unnormalized_input"] * expected
    if expected:
        assert findings[0].evidence["scale_ratio"] == pytest.approx(255.0, rel=0.2)


# -- healthy data ---------------------------------------------------------------------------------


@pytest.mark.parametrize("scaling", ["raw", "unit"])
def test_digits_quiet_raw_or_scaled(scaling):
    """Raw digits (0..16) are near enough to unit scale: a ReLU net trains well on them."""
    x, labels = _digits()
    x = x if scaling == "raw" else x / 16
    x_train, x_val, y_train, y_val = train_test_split(x, labels, random_state=0)
    assert check_setup(_digits_classifier(), x_train, y_train, (x_val, y_val)) == []


@pytest.mark.parametrize("loader", [load_breast_cancer, load_wine])
def test_standardized_tabular_is_quiet(loader):
    x, y = loader(return_X_y=True)
    x_train, x_val, y_train, y_val = train_test_split(x, y, random_state=0, stratify=y)
    scaler = StandardScaler().fit(x_train)
    model = _model((x.shape[1],), keras.layers.Dense(16, activation="relu"),
                   keras.layers.Dropout(0.3), keras.layers.Dense(3, activation="softmax"),
                   loss="sparse_categorical_crossentropy")
    findings = check_setup(model, scaler.transform(x_train), y_train,
                           (scaler.transform(x_val), y_val))
    assert findings == []


def test_one_hot_inputs_and_unit_images_are_quiet():
    categories = _rng().integers(0, 40, size=(300, 3))
    one_hot = np.concatenate([np.eye(40)[column] for column in categories.T], axis=1)
    assert check_setup(_relu_net((120,)), one_hot, _binary_labels(300)) == []
    images = _rng().uniform(0, 1, size=(300, 8, 8, 3))
    model = _model((8, 8, 3), keras.layers.Conv2D(4, 3, activation="relu"),
                   keras.layers.Flatten(), keras.layers.Dense(2, activation="softmax"),
                   loss="sparse_categorical_crossentropy")
    assert check_setup(model, images, _binary_labels(300)) == []


def _zoo_case(name, variant):
    """A small zoo model compiled with the loss its builder documents, and data for it."""
    spec = zoo.get_spec(name)
    kwargs = dict(spec.small_kwargs)
    x = _rng().uniform(0, 1, size=(64, *kwargs["input_shape"])).astype("float32")
    if spec.task == "generative":
        model = zoo.get_builder(name)(**kwargs)
        model.compile()
        return model, x, None
    labels = _binary_labels(64) if variant == "binary" else np.arange(64) % 3
    if spec.task == "sequence" and variant == "regression":
        kwargs.pop("num_classes")
        model = zoo.get_builder(name)(**kwargs, output_units=1)
        model.compile(optimizer="adam", loss="mse")
        return model, x, _rng().normal(size=(64, 1)) * 10
    if variant == "binary":
        model = zoo.get_builder(name)(**{**kwargs, "num_classes": 1})
        loss = "binary_crossentropy"
    elif variant == "logits":
        model = zoo.get_builder(name)(**kwargs, classifier_activation=None)
        loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    else:
        model = zoo.get_builder(name)(**kwargs)
        loss = "categorical_crossentropy"
        labels = _one_hot(labels, 3)
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=loss)
    return model, x, labels


ZOO_CASES = [(name, variant) for name in zoo.list_models()
             for variant in ("softmax", "binary", "logits", "regression")
             if variant != "regression" or zoo.get_spec(name).task == "sequence"]


@pytest.mark.parametrize("name, variant", ZOO_CASES)
def test_zoo_builders_with_documented_losses_are_quiet(name, variant):
    model, x, y = _zoo_case(name, variant)
    validation = (x[:16],) if y is None else (x[:16], y[:16])
    assert check_setup(model, x[16:], None if y is None else y[16:], validation) == []


# -- suspicious_config ----------------------------------------------------------------------------


@pytest.mark.parametrize("optimizer, expected", [
    (lambda: keras.optimizers.SGD(5.0), "stable_max"),
    (lambda: keras.optimizers.SGD(0.1, momentum=0.9), None),
    (lambda: keras.optimizers.Adam(0.5), "stable_max"),
    (lambda: keras.optimizers.Adam(0.05), None),
    (lambda: keras.optimizers.AdamW(1e-8), "stable_min"),
    (lambda: keras.optimizers.RMSprop(1e-3), None),
    (lambda: keras.optimizers.Lion(0.05), "stable_max"),
    (lambda: keras.optimizers.Adadelta(1.0), None),
    (lambda: keras.mixed_precision.LossScaleOptimizer(keras.optimizers.Adam(0.5)), "stable_max"),
    (lambda: zoo.optimizers.Lookahead(keras.optimizers.SGD(30.0)), "stable_max"),
])
def test_learning_rate_outside_family_range(optimizer, expected):
    model = _relu_net()
    model.compile(optimizer=optimizer(), loss="sparse_categorical_crossentropy")
    findings = check_setup(model)
    keys = [key for f in findings for key in f.evidence if key.startswith("stable_")]
    assert keys == ([expected] if expected else [])
    assert [f.kind for f in findings] == ["suspicious_config"] * bool(expected)


def test_learning_rate_schedule_judged_at_its_start():
    schedule = keras.optimizers.schedules.ExponentialDecay(3.0, decay_steps=10, decay_rate=0.5)
    model = _relu_net()
    model.compile(optimizer=keras.optimizers.SGD(schedule), loss="sparse_categorical_crossentropy")
    assert [f.evidence["learning_rate"] for f in check_setup(model)] == [pytest.approx(3.0)]


@pytest.mark.parametrize("layer, expected", [
    (lambda: keras.layers.Dropout(0.8, name="drop"), [("suspicious_config", "drop")]),
    (lambda: keras.layers.Dropout(0.5, name="drop"), []),
    (lambda: keras.layers.SpatialDropout1D(0.7, name="drop"), [("suspicious_config", "drop")]),
    (lambda: keras.layers.LSTM(4, recurrent_dropout=0.7, return_sequences=True, name="drop"),
     [("suspicious_config", "drop")]),
    (lambda: keras.layers.Bidirectional(keras.layers.GRU(4, dropout=0.6, return_sequences=True)),
     [("suspicious_config", "forward_gru")]),
])
def test_dropout_above_one_half(layer, expected):
    model = _model((5, 3), layer(), keras.layers.Flatten(), keras.layers.Dense(2, activation="softmax"))
    assert _kinds_layers(check_setup(model)) == expected


@pytest.mark.parametrize("between, expected", [
    (lambda: (), [("suspicious_config", "first")]),
    (lambda: (keras.layers.Dropout(0.2), keras.layers.Flatten()), [("suspicious_config", "first")]),
    (lambda: (keras.layers.Activation("relu"),), []),
    (lambda: (keras.layers.BatchNormalization(),), []),
])
def test_stacked_linear_dense_layers(between, expected):
    model = _model((4,), keras.layers.Dense(16, name="first"), *between(),
                   keras.layers.Dense(2, activation="softmax"))
    assert _kinds_layers(check_setup(model)) == expected


@pytest.mark.parametrize("activation, expected", [(None, 1), ("relu", 0)])
def test_stacked_linear_in_a_sequential_not_built_yet(activation, expected):
    model = keras.Sequential([keras.layers.Dense(16, activation=activation, name="first"),
                              keras.layers.Dropout(0.1), keras.layers.Dense(2, activation="softmax")])
    assert _kinds_layers(check_setup(model)) == [("suspicious_config", "first")] * expected


@pytest.mark.parametrize("activation, expected", [(None, 1), ("relu", 0)])
def test_stacked_linear_conv_layers(activation, expected):
    model = _model((8, 8, 1), keras.layers.Conv2D(4, 3, activation=activation, name="c1"),
                   keras.layers.Conv2D(4, 3, activation="relu"), keras.layers.Flatten(),
                   keras.layers.Dense(2, activation="softmax"))
    assert _kinds_layers(check_setup(model)) == [("suspicious_config", "c1")] * expected


@pytest.mark.parametrize("copy, expected", [(True, 1), (False, 0)])
def test_validation_set_copy_of_training_set(copy, expected):
    x, labels = _digits()
    x_train, x_val, y_train, y_val = train_test_split(x / 16, labels, random_state=0)
    shuffled = np.random.default_rng(0).permutation(len(x_train))
    validation = (x_train[shuffled].astype("float32"), y_train[shuffled]) if copy else (x_val, y_val)
    findings = check_setup(_digits_classifier(), x_train, y_train, validation)
    assert [f.kind for f in findings] == ["suspicious_config"] * expected


def test_repeated_rows_are_not_a_copy():
    """Coarse inputs repeat rows in any split: overlap means nothing there."""
    x = _rng().integers(0, 2, size=(400, 3)).astype("float32")
    findings = check_setup(_relu_net((3,)), x[:300], _binary_labels(300),
                           (x[300:], _binary_labels(100)))
    assert findings == []


# -- arguments ------------------------------------------------------------------------------------


@pytest.mark.parametrize("module", [setup_model, setup_data, setup_checks])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("skip, expected", [(True, []), (False, [("suspicious_config", "stem")])])
def test_a_linear_stem_that_feeds_a_skip_connection_is_no_stacked_linear_map(skip, expected):
    inputs = keras.Input((8, 8, 1))
    stem = keras.layers.Conv2D(4, 3, padding="same", name="stem")(inputs)
    branch = keras.layers.Conv2D(4, 3, padding="same", use_bias=False)(stem)
    branch = keras.layers.BatchNormalization()(branch)
    merged = keras.layers.Add()([stem, branch]) if skip else branch
    tensor = keras.layers.GlobalAveragePooling2D()(keras.layers.Activation("relu")(merged))
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(tensor))
    model.compile("adam", "sparse_categorical_crossentropy")
    assert _kinds_layers(check_setup(model)) == expected


def test_a_first_epoch_covers_the_data_when_its_batches_differ_in_size():
    # 1437 rows in batches of 32: 44 full and one of 29. 288 rows in 9 steps: 9 of 32, perhaps cut.
    assert setup_data.first_epoch_covered_data(1437, 45)
    assert not setup_data.first_epoch_covered_data(288, 9)
    assert not setup_data.first_epoch_covered_data(288, None)
    assert not setup_data.first_epoch_covered_data(0, 9)
