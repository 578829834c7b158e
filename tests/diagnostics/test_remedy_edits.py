"""apply_remedies: every applicable action, on a Sequential and a functional model.

Each case checks that the clone has the change (in Keras' own layer, optimizer and loss objects),
that the original is untouched (config, weights, optimizer object and its state), that layers the
remedy does not re-initialize keep the original's weights, and that the clone trains one step.
"""

import keras
import numpy as np
import pytest
from sklearn.utils.class_weight import compute_class_weight

from diagnostics.learning_rate import find_learning_rate
from diagnostics.findings import Finding
from diagnostics.remedies import Remedy, describe_setup, remedies_for
from diagnostics.remedy_edits import GRAPH_ACTIONS, TARGET_MARGIN, EditedModel, apply_remedies

KINDS = ("sequential", "functional")


def _layers(output_units, output_activation):
    return [keras.layers.Dense(6, activation="sigmoid", name="hidden"),
            keras.layers.Dropout(0.6, name="drop"),
            keras.layers.Dense(output_units, activation=output_activation, name="out")]


def classifier(kind, optimizer=None, loss="sparse_categorical_crossentropy", units=3, activation="softmax",
               run_eagerly=True):
    """A tiny classifier. Eager by default: the clone inherits it, and its one training step then
    needs no tracing (the several-remedies case trains a traced step)."""
    keras.utils.set_random_seed(7)
    model = stacked(kind, _layers(units, activation), name="clf", input_name="features")
    model.compile(optimizer=optimizer or keras.optimizers.SGD(0.1), loss=loss, metrics=["accuracy"],
                  run_eagerly=run_eagerly)
    return model


def stacked(kind, layers, name=None, input_name=None):
    """`layers` on a 4-feature input: a `keras.Sequential`, or the same chain as a functional model."""
    if kind == "sequential":
        return keras.Sequential([keras.Input((4,))] + layers, name=name)
    inputs = keras.Input((4,), name=input_name)
    h = inputs
    for layer in layers:
        h = layer(h)
    return keras.Model(inputs, h, name=name)


def data(rows=64, seed=0):
    rng = np.random.default_rng(seed)
    x = (rng.normal(size=(rows, 4)) * np.array([1.0, 5.0, 20.0, 0.5]) + 3.0).astype("float32")
    y = np.concatenate([np.zeros(rows - 14), np.ones(10), np.full(4, 2)]).astype("int32")
    return x, y


def snapshot(model):
    return {"config": model.get_config(), "weights": [w.copy() for w in model.get_weights()],
            "optimizer": model.optimizer, "optimizer_config": model.optimizer.get_config(),
            "optimizer_variables": [np.array(v) for v in model.optimizer.variables],
            "compile": model.get_compile_config()}


def assert_untouched(model, before):
    assert model.get_config() == before["config"]
    for now, then in zip(model.get_weights(), before["weights"], strict=True):
        np.testing.assert_array_equal(now, then)
    assert model.optimizer is before["optimizer"]
    assert model.optimizer.get_config() == before["optimizer_config"]
    for now, then in zip(model.optimizer.variables, before["optimizer_variables"], strict=True):
        np.testing.assert_array_equal(np.array(now), then)
    assert model.get_compile_config() == before["compile"]


def assert_same_weights(clone, model, names):
    for name in names:
        for mine, theirs in zip(clone.get_layer(name).get_weights(), model.get_layer(name).get_weights(), strict=True):
            np.testing.assert_array_equal(mine, theirs)


def apply_and_check(model, remedies, x, y, unchanged=()):
    """Applies `remedies`, checks the common promises, trains the clone one step; returns it."""
    before = snapshot(model)
    edited = apply_remedies(model, remedies, x=x, y=y)
    assert isinstance(edited, EditedModel)
    clone = edited.model
    assert clone is not model and clone.optimizer is not model.optimizer
    assert edited.changes, "every edit is said in words"
    assert_untouched(model, before)
    assert_same_weights(clone, model, unchanged)
    train_x, train_y = edited.data if edited.data is not None else (x, y)
    untrained = clone.get_weights()
    logs = clone.train_on_batch(train_x[:16], train_y[:16], class_weight=edited.fit_kwargs.get("class_weight"),
                                return_dict=True)
    assert np.isfinite(logs["loss"])
    assert any(not np.array_equal(a, b) for a, b in zip(clone.get_weights(), untrained))
    assert_untouched(model, before)
    clone.set_weights(untrained)  # the callers check the clone as apply_remedies returned it
    return edited


@pytest.mark.parametrize("kind", KINDS)
def test_set_activation_with_initializer(kind):
    model, (x, y) = classifier(kind), data()
    edited = apply_and_check(model, [Remedy("set_activation", params={
        "activation": "relu", "kernel_initializer": "he_normal", "layers": ["hidden"]})], x, y, unchanged=["out"])
    hidden = edited.model.get_layer("hidden")
    assert hidden.activation is keras.activations.relu
    assert isinstance(hidden.kernel_initializer, keras.initializers.HeNormal)
    assert not np.array_equal(hidden.get_weights()[0], model.get_layer("hidden").get_weights()[0])
    assert edited.changes == ["layer 'hidden': activation sigmoid → relu; kernel_initializer glorot_uniform → he_normal"]


@pytest.mark.parametrize("kind", KINDS)
def test_set_activation_default_targets_only_the_hidden_layers_it_replaces(kind):
    model, (x, y) = classifier(kind), data()
    edited = apply_and_check(model, [Remedy("set_activation", params={"activation": "leaky_relu",
                                                                       "replace": ["sigmoid"]})],
                             x, y, unchanged=["hidden", "out"])
    assert edited.model.get_layer("hidden").activation is keras.activations.leaky_relu
    assert edited.model.get_layer("out").activation is keras.activations.softmax


@pytest.mark.parametrize("kind", KINDS)
def test_set_initializer(kind):
    model, (x, y) = classifier(kind), data()
    edited = apply_and_check(model, [Remedy("set_initializer", "hidden", {"kernel_initializer": "zeros",
                                                                          "bias_initializer": "ones"})],
                             x, y, unchanged=["out"])
    kernel, bias = edited.model.get_layer("hidden").get_weights()
    np.testing.assert_array_equal(kernel, np.zeros((4, 6)))
    np.testing.assert_array_equal(bias, np.ones(6))


@pytest.mark.parametrize("kind", KINDS)
def test_add_normalization(kind):
    model, (x, y) = classifier(kind), data()
    edited = apply_and_check(model, [Remedy("add_normalization", params={"kind": "batch"})], x, y,
                             unchanged=["hidden", "out"])
    clone = edited.model
    names = [layer.name for layer in clone.layers if not isinstance(layer, keras.layers.InputLayer)]
    assert names == ["hidden", "hidden_batch_norm", "hidden_activation", "drop", "out"]
    assert isinstance(clone.get_layer("hidden_batch_norm"), keras.layers.BatchNormalization)
    assert clone.get_layer("hidden").activation is keras.activations.linear
    assert clone.get_layer("hidden_activation").activation is keras.activations.sigmoid


@pytest.mark.parametrize("kind", KINDS)
def test_set_output_activation_to_logits(kind):
    model, (x, y) = classifier(kind), data()
    edited = apply_and_check(model, [Remedy("set_output_activation", params={"activation": "linear",
                                                                             "from_logits": True})],
                             x, y, unchanged=["hidden", "out"])
    assert edited.model.get_layer("out").activation is keras.activations.linear
    assert isinstance(edited.model.loss, keras.losses.SparseCategoricalCrossentropy)
    assert edited.model.loss.get_config()["from_logits"] is True


@pytest.mark.parametrize("kind", KINDS)
def test_set_output_activation_one_unit_softmax_to_sigmoid(kind):
    model = classifier(kind, loss="binary_crossentropy", units=1, activation="softmax")
    x, y = data()
    y = (y > 0).astype("float32")
    edited = apply_and_check(model, [Remedy("set_output_activation", "out", {"activation": "sigmoid"})],
                             x, y, unchanged=["hidden", "out"])
    assert edited.model.get_layer("out").activation is keras.activations.sigmoid
    assert len(np.unique(edited.model.predict(x, verbose=0).round(6))) > 1  # a softmax unit was always 1


@pytest.mark.parametrize("kind", KINDS)
def test_set_output_units(kind):
    model, (x, y) = classifier(kind), data()
    edited = apply_and_check(model, [Remedy("set_output_units", params={"units": 5})], x, y, unchanged=["hidden"])
    assert edited.model.get_layer("out").units == 5
    assert edited.model.get_layer("out").kernel.shape == (6, 5)


@pytest.mark.parametrize("kind", KINDS)
def test_set_loss(kind):
    model, (x, y) = classifier(kind, activation=None), data()
    edited = apply_and_check(model, [Remedy("set_loss", params={"from_logits": True})], x, y,
                             unchanged=["hidden", "out"])
    assert isinstance(edited.model.loss, keras.losses.SparseCategoricalCrossentropy)
    assert edited.model.loss.get_config()["from_logits"] is True
    assert model.loss == "sparse_categorical_crossentropy"


@pytest.mark.parametrize("kind", KINDS)
def test_set_focal_loss_on_a_binary_output(kind):
    model = classifier(kind, loss="binary_crossentropy", units=1, activation="sigmoid")
    x, y = data()
    edited = apply_and_check(model, [Remedy("set_loss", params={"loss": "focal"})], x, (y > 0).astype("float32"),
                             unchanged=["hidden", "out"])
    assert isinstance(edited.model.loss, keras.losses.BinaryFocalCrossentropy)


@pytest.mark.parametrize("kind", KINDS)
def test_set_learning_rate(kind):
    model, (x, y) = classifier(kind), data()
    edited = apply_and_check(model, [Remedy("set_learning_rate", params={"learning_rate": 0.003})], x, y,
                             unchanged=["hidden", "out"])
    assert isinstance(edited.model.optimizer, keras.optimizers.SGD)
    assert float(edited.model.optimizer.learning_rate) == np.float32(0.003)
    assert float(model.optimizer.learning_rate) == np.float32(0.1)


@pytest.mark.parametrize("kind", KINDS)
def test_set_learning_rate_by_range_test(kind):
    model, (x, y) = classifier(kind, optimizer=keras.optimizers.SGD(50.0), run_eagerly=False), data()
    edited = apply_and_check(model, [Remedy("set_learning_rate", params={"learning_rate": None,
                                                                         "max_learning_rate": 0.1,
                                                                         "min_learning_rate": 0.001})],
                             x, y, unchanged=["hidden", "out"])
    # The reference: the range test run on the original model by hand; a pick outside the
    # bounds gives the cap.
    suggestion = find_learning_rate(model, x, y, steps=100, seed=0).suggestion
    expected = suggestion if 0.001 <= suggestion <= 0.1 else 0.1
    assert float(edited.model.optimizer.learning_rate) == np.float32(expected)


def test_set_learning_rate_without_data_takes_the_bound():
    model = classifier("sequential", optimizer=keras.optimizers.SGD(50.0))
    edited = apply_remedies(model, [Remedy("set_learning_rate", params={"learning_rate": None,
                                                                        "max_learning_rate": 0.1})])
    assert float(edited.model.optimizer.learning_rate) == np.float32(0.1)


@pytest.mark.parametrize("kind", KINDS)
def test_set_optimizer(kind):
    model, (x, y) = classifier(kind, optimizer=keras.optimizers.SGD(0.1, clipnorm=2.0)), data()
    edited = apply_and_check(model, [Remedy("set_optimizer", params={"optimizer": "adam", "learning_rate": 1e-3})],
                             x, y, unchanged=["hidden", "out"])
    assert type(edited.model.optimizer) is keras.optimizers.Adam
    assert float(edited.model.optimizer.learning_rate) == np.float32(1e-3)
    assert edited.model.optimizer.clipnorm == 2.0  # the clipping the user chose stays


@pytest.mark.parametrize("kind", KINDS)
def test_clip_gradients(kind):
    model, (x, y) = classifier(kind, optimizer=keras.optimizers.SGD(0.1, global_clipnorm=5.0)), data()
    edited = apply_and_check(model, [Remedy("clip_gradients", params={"clipnorm": 1.0})], x, y,
                             unchanged=["hidden", "out"])
    assert edited.model.optimizer.clipnorm == 1.0
    assert edited.model.optimizer.global_clipnorm is None  # Keras takes one of the two
    assert model.optimizer.clipnorm is None and model.optimizer.global_clipnorm == 5.0


@pytest.mark.parametrize("kind", KINDS)
def test_add_regularization(kind):
    model, (x, y) = classifier(kind), data()
    edited = apply_and_check(model, [Remedy("add_regularization", params={"l2": 1e-3})], x, y,
                             unchanged=["hidden", "out"])
    for name in ("hidden", "out"):
        regularizer = edited.model.get_layer(name).kernel_regularizer
        assert isinstance(regularizer, keras.regularizers.L2)
        assert regularizer.l2 == pytest.approx(1e-3)
        assert model.get_layer(name).kernel_regularizer is None
    kernel = edited.model.get_layer("hidden").kernel
    assert float(edited.model.get_layer("hidden").kernel_regularizer(kernel)) == pytest.approx(
        1e-3 * np.sum(np.square(model.get_layer("hidden").get_weights()[0])), rel=1e-5)


@pytest.mark.parametrize("kind", KINDS)
def test_add_regularization_to_the_activity_weakens_the_layers_activity_penalty(kind):
    keras.utils.set_random_seed(7)
    layers = _layers(3, "softmax")
    layers[0] = keras.layers.Dense(6, activation="relu", activity_regularizer=keras.regularizers.L1(1.0), name="hidden")
    model = stacked(kind, layers)
    model.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy", run_eagerly=True)
    x, y = data()
    edited = apply_and_check(model, [Remedy("add_regularization", params={"l1": 1e-5, "activity": True})], x, y,
                             unchanged=["hidden", "out"])
    regularizer = edited.model.get_layer("hidden").activity_regularizer
    assert isinstance(regularizer, keras.regularizers.L1L2) and regularizer.l1 == pytest.approx(1e-5)
    assert edited.model.get_layer("out").activity_regularizer is None  # only the layers that had one
    assert edited.model.get_layer("hidden").kernel_regularizer is None
    assert float(model.get_layer("hidden").activity_regularizer.l1) == 1.0


@pytest.mark.parametrize("kind", KINDS)
def test_add_dropout(kind):
    model, (x, y) = classifier(kind), data()
    edited = apply_and_check(model, [Remedy("add_dropout", params={"rate": 0.25})], x, y, unchanged=["hidden", "out"])
    dropout = edited.model.get_layer("hidden_dropout")
    assert isinstance(dropout, keras.layers.Dropout) and dropout.rate == 0.25
    names = [layer.name for layer in edited.model.layers if not isinstance(layer, keras.layers.InputLayer)]
    assert names == ["hidden", "hidden_dropout", "drop", "out"]


@pytest.mark.parametrize("kind", KINDS)
def test_set_dropout(kind):
    model, (x, y) = classifier(kind), data()
    edited = apply_and_check(model, [Remedy("set_dropout", "drop", {"rate": 0.2})], x, y, unchanged=["hidden", "out"])
    assert edited.model.get_layer("drop").rate == 0.2
    assert model.get_layer("drop").rate == 0.6


def _noisy_capped(kind):
    """GaussianNoise on the inputs and a max-norm cap on the hidden kernel."""
    keras.utils.set_random_seed(7)
    model = stacked(kind, [keras.layers.GaussianNoise(1.0, name="noise"),
                           keras.layers.Dense(6, activation="relu", kernel_constraint=keras.constraints.MaxNorm(0.01),
                                              name="hidden"),
                           keras.layers.Dense(3, activation="softmax", kernel_constraint=keras.constraints.MaxNorm(0.5),
                                              name="out")])
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy", run_eagerly=True)
    return model


@pytest.mark.parametrize("kind", KINDS)
def test_set_dropout_lowers_a_gaussian_noise_stddev(kind):
    model, (x, y) = _noisy_capped(kind), data()
    edited = apply_and_check(model, [Remedy("set_dropout", "noise", {"rate": 0.1, "argument": "stddev"})], x, y,
                             unchanged=["hidden", "out"])
    assert edited.model.get_layer("noise").stddev == 0.1
    assert model.get_layer("noise").stddev == 1.0


@pytest.mark.parametrize("kind", KINDS)
def test_set_constraint_removes_or_replaces_a_kernel_constraint(kind):
    model, (x, y) = _noisy_capped(kind), data()
    edited = apply_and_check(model, [Remedy("set_constraint", None, {"kernel_constraint": None,
                                                                     "layers": ["hidden"]})], x, y,
                             unchanged=["hidden", "out"])
    assert edited.model.get_layer("hidden").kernel_constraint is None
    assert edited.model.get_layer("out").kernel_constraint.max_value == 0.5
    assert model.get_layer("hidden").kernel_constraint.max_value == 0.01
    # No layers named: every constrained layer takes the new cap.
    edited = apply_and_check(model, [Remedy("set_constraint", None, {"kernel_constraint": {
        "class_name": "MaxNorm", "config": {"max_value": 3.0}}})], x, y, unchanged=["hidden", "out"])
    assert [type(edited.model.get_layer(name).kernel_constraint).__name__ for name in ("hidden", "out")] == \
        ["MaxNorm", "MaxNorm"]
    assert [edited.model.get_layer(name).kernel_constraint.max_value for name in ("hidden", "out")] == [3.0, 3.0]


@pytest.mark.parametrize("kind", KINDS)
def test_early_stopping(kind):
    model, (x, y) = classifier(kind), data()
    edited = apply_and_check(model, [Remedy("early_stopping", params={"monitor": "val_loss", "patience": 4,
                                                                      "restore_best_weights": True})],
                             x, y, unchanged=["hidden", "out"])
    (callback,) = edited.fit_kwargs["callbacks"]
    assert isinstance(callback, keras.callbacks.EarlyStopping)
    assert (callback.monitor, callback.patience, callback.restore_best_weights) == ("val_loss", 4, True)


@pytest.mark.parametrize("kind", KINDS)
def test_rebalance_classes_with_class_weight(kind):
    model, (x, y) = classifier(kind), data()
    edited = apply_and_check(model, [Remedy("rebalance_classes", params={"method": "class_weight"})], x, y,
                             unchanged=["hidden", "out"])
    reference = compute_class_weight("balanced", classes=np.array([0, 1, 2]), y=y)
    assert edited.fit_kwargs["class_weight"] == pytest.approx(dict(enumerate(reference)))


def test_rebalance_classes_with_one_hot_labels():
    model = classifier("functional", loss="categorical_crossentropy")
    x, y = data()
    edited = apply_remedies(model, [Remedy("rebalance_classes", params={"method": "class_weight"})], x=x,
                            y=np.eye(3)[y])
    reference = compute_class_weight("balanced", classes=np.array([0, 1, 2]), y=y)
    assert edited.fit_kwargs["class_weight"] == pytest.approx(dict(enumerate(reference)))


@pytest.mark.parametrize("kind", KINDS)
def test_rebalance_classes_by_oversampling(kind):
    model, (x, y) = classifier(kind), data()
    edited = apply_and_check(model, [Remedy("rebalance_classes", params={"method": "oversample"})], x, y,
                             unchanged=["hidden", "out"])
    new_x, new_y = edited.data
    np.testing.assert_array_equal(np.bincount(new_y), [50, 50, 50])
    assert new_x.shape == (150, 4) and new_x.dtype == x.dtype
    rows = {tuple(row) for row in x}
    assert all(tuple(row) in rows for row in new_x)  # random over-sampling repeats real rows


@pytest.mark.parametrize("kind", KINDS)
def test_standardize_inputs(kind):
    model, (x, y) = classifier(kind), data()
    edited = apply_and_check(model, [Remedy("standardize_inputs", params={"method": "standardize"})], x, y,
                             unchanged=["hidden", "out"])
    normalization = edited.model.get_layer("input_standardization")
    assert isinstance(normalization, keras.layers.Normalization)
    # Its output is the NumPy standardization of x: the model's data are not touched.
    probe = keras.Model(edited.model.inputs, normalization.output)
    np.testing.assert_allclose(probe.predict(x, verbose=0), (x - x.mean(axis=0)) / x.std(axis=0),
                               rtol=1e-4, atol=1e-4)


def test_standardize_inputs_of_a_two_input_model_adapts_one_normalization_per_input():
    keras.utils.set_random_seed(5)
    left, right = keras.Input((4,), name="left"), keras.Input((3,), name="right")
    joined = keras.layers.Concatenate(name="join")([keras.layers.Dense(2, name="a")(left),
                                                  keras.layers.Dense(2, name="b")(right)])
    model = keras.Model([left, right], keras.layers.Dense(3, activation="softmax", name="out")(joined))
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", run_eagerly=True)
    x, y = data()
    x_right = (np.random.default_rng(1).normal(size=(len(x), 3)) * 40.0 - 7.0).astype("float32")
    before = snapshot(model)
    edited = apply_remedies(model, [Remedy("standardize_inputs", params={"method": "standardize"})],
                            x=[x, x_right], y=y)
    assert_untouched(model, before)
    assert_same_weights(edited.model, model, ["a", "b", "out"])
    assert edited.model.train_on_batch([x[:16], x_right[:16]], y[:16]) is not None
    for index, array in enumerate((x, x_right)):
        layer = edited.model.get_layer(f"input_standardization_{index}")
        probe = keras.Model(edited.model.inputs, layer.output)
        np.testing.assert_allclose(probe.predict([x, x_right], verbose=0),
                                   (array - array.mean(axis=0)) / array.std(axis=0), rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match="Received: x=ndarray"):
        apply_remedies(model, [Remedy("standardize_inputs", params={"method": "standardize"})], x=x, y=y)


@pytest.mark.parametrize("kind", KINDS)
def test_set_dropout_without_target_lowers_every_layer_above_the_cap(kind):
    keras.utils.set_random_seed(7)
    layers = [keras.layers.Dense(6, activation="relu", name="hidden"), keras.layers.Dropout(0.9, name="drop"),
              keras.layers.Dense(6, activation="relu", name="hidden_2"), keras.layers.Dropout(0.8, name="drop_2"),
              keras.layers.Dropout(0.4, name="drop_3"), keras.layers.Dense(3, activation="softmax", name="out")]
    model = stacked(kind, layers)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", run_eagerly=True)
    x, y = data()
    edited = apply_and_check(model, [Remedy("set_dropout", params={"rate": 0.3, "above": 0.5})], x, y,
                             unchanged=["hidden", "hidden_2", "out"])
    rates = [edited.model.get_layer(name).rate for name in ("drop", "drop_2", "drop_3")]
    assert rates == [0.3, 0.3, 0.4]  # 0.4 is under the cap: left as it was
    assert [model.get_layer(name).rate for name in ("drop", "drop_2", "drop_3")] == [0.9, 0.8, 0.4]


@pytest.mark.parametrize("kind", KINDS)
def test_rescale_inputs(kind):
    model, (x, y) = classifier(kind), data()
    edited = apply_and_check(model, [Remedy("standardize_inputs", params={"method": "rescale", "scale": 0.25})],
                             x, y, unchanged=["hidden", "out"])
    rescaling = edited.model.get_layer("input_rescaling")
    assert isinstance(rescaling, keras.layers.Rescaling) and rescaling.scale == 0.25


def regressor(kind):
    keras.utils.set_random_seed(3)
    hidden = keras.layers.Dense(5, activation="tanh", name="hidden")
    out = keras.layers.Dense(1, activation="sigmoid", name="out")
    if kind == "sequential":
        model = keras.Sequential([keras.Input((4,)), hidden, out])
    else:
        inputs = keras.Input((4,))
        model = keras.Model(inputs, out(hidden(inputs)))
    model.compile(optimizer="adam", loss="mse", run_eagerly=True)
    return model


@pytest.mark.parametrize("kind", KINDS)
def test_scale_targets(kind):
    model = regressor(kind)
    x, _ = data()
    y = np.linspace(10.0, 50.0, len(x)).astype("float32")
    edited = apply_and_check(model, [Remedy("scale_targets")], x, y, unchanged=["hidden", "out"])
    low, high = 10.0 - TARGET_MARGIN * 40.0, 50.0 + TARGET_MARGIN * 40.0
    expected = low + (high - low) * model.predict(x, verbose=0)  # sigmoid's [0, 1] onto the targets
    np.testing.assert_allclose(edited.model.predict(x, verbose=0), expected, rtol=1e-5)


@pytest.mark.parametrize("kind", KINDS)
def test_change_batch_size(kind):
    model, (x, y) = classifier(kind), data()
    edited = apply_and_check(model, [Remedy("change_batch_size", params={"batch_size": 128})], x, y,
                             unchanged=["hidden", "out"])
    assert edited.fit_kwargs == {"batch_size": 128}


@pytest.mark.parametrize("kind", KINDS)
def test_several_remedies_at_once(kind):
    model, (x, y) = classifier(kind, run_eagerly=False), data()
    edited = apply_and_check(model, [
        Remedy("set_activation", params={"activation": "relu", "kernel_initializer": "he_normal", "layers": ["hidden"]}),
        Remedy("add_normalization", params={"layers": ["hidden"]}),
        Remedy("clip_gradients", params={"clipnorm": 1.0}),
    ], x, y, unchanged=["out"])
    clone = edited.model
    assert clone.get_layer("hidden_activation").activation is keras.activations.relu
    assert clone.get_layer("hidden").activation is keras.activations.linear
    assert isinstance(clone.get_layer("hidden").kernel_initializer, keras.initializers.HeNormal)
    assert clone.optimizer.clipnorm == 1.0
    assert not clone.run_eagerly


class SmallSubclassed(keras.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = keras.layers.Dense(6, activation="sigmoid")
        self.out = keras.layers.Dense(3, activation="softmax")

    def call(self, inputs):
        return self.out(self.hidden(inputs))


def test_subclassed_model_takes_training_remedies_and_refuses_graph_ones():
    x, y = data()
    model = SmallSubclassed()
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    model(x[:1])
    before = snapshot(model)
    edited = apply_remedies(model, [Remedy("clip_gradients", params={"clipnorm": 1.0}),
                                    Remedy("rebalance_classes", params={"method": "class_weight"})], x=x, y=y)
    assert edited.model.optimizer.clipnorm == 1.0
    for mine, theirs in zip(edited.model.get_weights(), model.get_weights(), strict=True):
        np.testing.assert_array_equal(mine, theirs)
    assert np.isfinite(edited.model.train_on_batch(x[:16], y[:16]))
    assert_untouched(model, before)
    for action in GRAPH_ACTIONS:
        with pytest.raises(ValueError, match=action):
            apply_remedies(model, [Remedy(action, params={"activation": "relu", "rate": 0.2, "units": 2})], x=x, y=y)


def test_bad_arguments():
    model, (x, y) = classifier("sequential"), data()
    with pytest.raises(ValueError, match="cannot be applied"):
        apply_remedies(model, [Remedy("fix_labels", sentence="Relabel.", applicable=False)])
    with pytest.raises(ValueError, match="Received: target='nowhere'"):
        apply_remedies(model, [Remedy("set_activation", "nowhere", {"activation": "relu"})])
    with pytest.raises(ValueError, match="Received: x=None"):
        apply_remedies(model, [Remedy("standardize_inputs", params={"method": "standardize"})])
    with pytest.raises(ValueError, match="Received: y=None"):
        apply_remedies(model, [Remedy("rebalance_classes", params={"method": "class_weight"})], x=x)
    with pytest.raises(TypeError, match="Received: remedies="):
        apply_remedies(model, ["set_activation"])
    with pytest.raises(TypeError, match="Received: model="):
        apply_remedies("model", [])
    uncompiled = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match="must be compiled"):
        apply_remedies(uncompiled, [])


def activation_layer_stack(kind):
    """Dense layers without activation, each followed by its own Activation layer (zoo's style)."""
    keras.utils.set_random_seed(5)
    layers = [keras.layers.Dense(6, name="d1"), keras.layers.Activation("sigmoid", name="d1_act"),
              keras.layers.Dense(6, name="d2"), keras.layers.Activation("sigmoid", name="d2_act"),
              keras.layers.Dense(3, activation="softmax", name="out")]
    model = stacked(kind, layers)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", run_eagerly=True)
    return model


@pytest.mark.parametrize("kind", KINDS)
def test_activation_layers_take_the_activation_and_their_dense_layer_the_initializer(kind):
    model, (x, y) = activation_layer_stack(kind), data()
    setup = describe_setup(model)
    assert [layer["name"] for layer in setup["layers"] if layer["hidden"]] == ["d1_act", "d2_act"]
    (remedy, *_) = remedies_for(Finding("vanishing_gradient", "warning", 1, "d1", "vanished", {}), setup)
    edited = apply_and_check(model, [remedy, Remedy("add_normalization", params={"kind": "batch"})], x, y,
                             unchanged=["out"])
    clone = edited.model
    for name in ("d1", "d2"):
        assert clone.get_layer(f"{name}_act").activation is keras.activations.relu
        assert isinstance(clone.get_layer(name).kernel_initializer, keras.initializers.HeNormal)
        assert clone.get_layer(name).activation is keras.activations.linear
    names = [layer.name for layer in clone.layers if not isinstance(layer, keras.layers.InputLayer)]
    assert names == ["d1", "d1_act_batch_norm", "d1_act", "d2", "d2_act_batch_norm", "d2_act", "out"]
