"""`check_setup` on functional graphs that hold `keras.ops` Operations (masks, `abs(a - b)`,
operators on KerasTensors), and on a pretrained base whose BatchNormalization layers were
unfrozen under a `training=False` call (Keras 3 trains them anyway)."""

import keras
import numpy as np
import pytest

import zoo
from diagnostics.setup_checks import check_setup
from zoo._keras_internals import all_layers


def _rng(seed=0):
    return np.random.default_rng(seed)


# -- graphs with Operations ------------------------------------------------------------------------


def masked_transformer():
    """keras.io's text classifier shape: Embedding(mask_zero=True) into a masked attention."""
    tokens = keras.Input((12,), dtype="int32")
    embedded = keras.layers.Embedding(50, 16, mask_zero=True)(tokens)
    attended = keras.layers.MultiHeadAttention(num_heads=2, key_dim=8)(embedded, embedded)
    pooled = keras.layers.GlobalAveragePooling1D()(attended)
    model = keras.Model(tokens, keras.layers.Dense(3, activation="softmax")(pooled))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def siamese():
    """Shared encoder, `keras.ops.abs(a - b)` between the two branches."""
    left, right = keras.Input((8,), name="left"), keras.Input((8,), name="right")
    encoder = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu")])
    distance = keras.ops.abs(encoder(left) - encoder(right))
    model = keras.Model([left, right], keras.layers.Dense(1, activation="sigmoid")(distance))
    model.compile(optimizer="adam", loss="binary_crossentropy")
    return model


def residual_with_operators():
    """A linear stem that feeds a skip connection written with `+`, and `* 0.5` on the sum."""
    inputs = keras.Input((8,))
    stem = keras.layers.Dense(16)(inputs)
    hidden = keras.layers.Dense(16, activation="relu")(stem)
    merged = (stem + hidden) * 0.5
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(merged))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    return model


def graph_case(name, seed=0):
    """(model, x, y) for one of the graphs above, with healthy data."""
    rng = _rng(seed)
    if name == "masked_transformer":
        tokens = rng.integers(1, 50, size=(96, 12))
        tokens[:, 8:] = 0  # padding
        return masked_transformer(), tokens, rng.integers(0, 3, 96)
    if name == "siamese":
        return siamese(), [rng.normal(size=(96, 8)), rng.normal(size=(96, 8))], \
            rng.integers(0, 2, 96).astype("float32")
    return residual_with_operators(), rng.normal(size=(96, 8)), rng.integers(0, 3, 96)


GRAPHS = ["masked_transformer", "siamese", "residual_with_operators"]


@pytest.mark.parametrize("name", GRAPHS)
def test_graphs_with_operations_are_read_and_quiet(name):
    model, x, y = graph_case(name)
    operations = [op for op in model.operations if not isinstance(op, keras.layers.Layer)]
    assert operations  # the graph holds Operations (NotEqual, Absolute, Add...), not only Layers
    assert check_setup(model, x, y) == []


@pytest.mark.parametrize("scale, expected", [(3e9, ["unnormalized_input"]), (1.0, [])])
def test_inputs_are_judged_through_operations(scale, expected):
    """`x * 2.0` between the input and the first Dense: the walk back from the Dense reaches the
    input through the Operation, so raw inputs up to 6e9 are still found."""
    inputs = keras.Input((4,))
    hidden = keras.layers.Dense(8, activation="relu")(inputs * 2.0)
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(hidden))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x = _rng().uniform(0, 1, size=(64, 4)) * scale
    assert [f.kind for f in check_setup(model, x, np.arange(64) % 2)] == expected


@pytest.mark.parametrize("operation, expected", [
    (keras.ops.softmax, [("output_loss_mismatch", {"softmax_units": 1})]),
    (keras.ops.sigmoid, []),
])
def test_an_output_activation_applied_with_keras_ops_is_judged(operation, expected):
    inputs = keras.Input((4,))
    outputs = operation(keras.layers.Dense(1)(keras.layers.Dense(8, activation="relu")(inputs)))
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    x = _rng().normal(size=(32, 4))
    if expected:  # Keras itself: the one-unit softmax outputs 1.0 for every row
        assert np.all(np.asarray(model(x)) == pytest.approx(1.0, abs=1e-6))
    findings = check_setup(model, x, (x[:, 0] > 0).astype("float32"))
    assert [(f.kind, f.evidence) for f in findings] == expected


# -- BatchNormalization unfrozen under training=False ----------------------------------------------


def _pretrained_base():
    inputs = keras.Input((6,))
    hidden = keras.layers.Dense(16, activation="relu")(inputs)
    hidden = keras.layers.BatchNormalization(name="bn_1")(hidden)
    hidden = keras.layers.Dense(16, activation="relu")(hidden)
    hidden = keras.layers.BatchNormalization(name="bn_2")(hidden)
    return keras.Model(inputs, hidden, name="base")


def fine_tuned(state):
    """A classifier on a base called with training=False, as the keras.io guide writes it.

    `state`: "frozen" (base.trainable=False), "unfrozen" (base.trainable=True: the pitfall),
    "unfrozen_bn_frozen" (base trainable, its BN layers set back to trainable=False: the fix).
    """
    base = _pretrained_base()
    inputs = keras.Input((6,))
    features = base(inputs, training=False)
    model = keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(features))
    base.trainable = state != "frozen"
    if state == "unfrozen_bn_frozen":
        for layer in base.layers:
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.trainable = False
    model.compile(optimizer=keras.optimizers.Adam(1e-5), loss="sparse_categorical_crossentropy")
    return model


def _bn_in_training_mode(model, x):
    """Keras' own answer: does a training step normalize differently from inference?"""
    return not np.allclose(np.asarray(model(x, training=True)), np.asarray(model(x, training=False)),
                           atol=1e-6)


@pytest.mark.parametrize("state, expected", [
    ("unfrozen", 2), ("frozen", 0), ("unfrozen_bn_frozen", 0)])
def test_batchnorm_unfrozen_under_a_training_false_call(state, expected):
    model = fine_tuned(state)
    x = _rng().normal(2.0, 3.0, size=(64, 6)).astype("float32")
    assert _bn_in_training_mode(model, x) == bool(expected)
    findings = check_setup(model, x, _rng().integers(0, 3, 64))
    found = [f for f in findings if "unfrozen_batchnorm_layers" in f.evidence]
    assert [(f.kind, f.layer, f.evidence["unfrozen_batchnorm_layers"]) for f in found] == (
        [("suspicious_config", "base", expected)] if expected else [])
    if expected:
        assert "'bn_1'" in found[0].message and "'bn_2'" in found[0].message
        assert any("trainable=False" in advice for advice in found[0].advice)


def test_a_batchnorm_layer_called_with_training_false_directly():
    inputs = keras.Input((6,))
    normalized = keras.layers.BatchNormalization(name="bn")(inputs, training=False)
    model = keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(normalized))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x = _rng().normal(2.0, 3.0, size=(64, 6)).astype("float32")
    assert _bn_in_training_mode(model, x)
    findings = check_setup(model)
    assert [(f.layer, f.evidence) for f in findings] == [("bn", {"unfrozen_batchnorm_layers": 1})]


@pytest.mark.parametrize("builder, kwargs", [
    (zoo.build_cnn, {"input_shape": (8, 8, 1), "num_classes": 3, "normalization": "batch"}),
    (zoo.build_resnet, {"input_shape": (8, 8, 3), "num_classes": 3}),
])
def test_batchnorm_trained_from_scratch_is_quiet(builder, kwargs):
    model = builder(**kwargs)
    assert any(isinstance(layer, keras.layers.BatchNormalization) for layer in all_layers(model))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    assert check_setup(model) == []
