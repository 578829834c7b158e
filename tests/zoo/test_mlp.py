"""Knob semantics of `build_mlp` and `build_perceptron`."""

import keras
import numpy as np
import pytest

import zoo
from zoo.layers import Maxout

SMALL = {"input_shape": (6,), "num_classes": 3, "hidden_units": (8, 8)}


def _names(model):
    return [layer.name for layer in model.layers]


def _layers_of(model, cls):
    return [layer for layer in model.layers if type(layer) is cls]


def _outputs_of(model, layer_name, x):
    probe = keras.Model(model.input, model.get_layer(layer_name).output)
    return keras.ops.convert_to_numpy(probe(x))


def _keras_activation_names():
    return sorted(
        name
        for name in dir(keras.activations)
        if not name.startswith("_") and name not in ("get", "serialize", "deserialize")
    )


def test_layer_names_read_well_and_repeat_across_builds():
    kwargs = dict(SMALL, normalization="batch", dropout=0.1, residual=True)
    first = _names(zoo.build_mlp(**kwargs))
    keras.utils.clear_session()
    assert _names(zoo.build_mlp(**kwargs)) == first
    assert first[:5] == ["input", "hidden_1", "hidden_1_norm", "hidden_1_act", "hidden_1_projection"]
    assert first[-1] == "output"
    assert {"hidden_2_dropout", "hidden_2_add"} <= set(first)


def test_the_trainable_layers_are_the_dense_layers():
    model = zoo.build_mlp(**SMALL)
    trainable = [layer.name for layer in model.layers if layer.trainable_weights]
    assert trainable == ["hidden_1", "hidden_2", "output"]
    assert all(isinstance(model.get_layer(name), keras.layers.Dense) for name in trainable)
    assert isinstance(model.get_layer("hidden_1_act"), keras.layers.Activation)


def test_residual_adds_skip_connections_and_projects_only_where_widths_differ():
    model = zoo.build_mlp(input_shape=(6,), num_classes=3, hidden_units=(6, 8, 8), residual=True)
    assert [layer.name for layer in _layers_of(model, keras.layers.Add)] == [
        "hidden_1_add", "hidden_2_add", "hidden_3_add"
    ]
    projections = [name for name in _names(model) if name.endswith("_projection")]
    assert projections == ["hidden_2_projection"]
    assert not _layers_of(zoo.build_mlp(**SMALL), keras.layers.Add)


def test_residual_block_passes_its_input_through():
    # With zero weights the block itself outputs relu(0) = 0, so the sum is the skip path alone.
    model = zoo.build_mlp(
        input_shape=(4,), num_classes=2, hidden_units=(4,), residual=True, kernel_initializer="zeros"
    )
    x = np.random.default_rng(0).normal(size=(3, 4)).astype("float32")
    np.testing.assert_allclose(_outputs_of(model, "hidden_1_add", x), x, atol=1e-6)


@pytest.mark.parametrize(
    "normalization, layer_class",
    [("batch", keras.layers.BatchNormalization), ("layer", keras.layers.LayerNormalization)],
)
def test_normalization_sits_between_dense_and_activation(normalization, layer_class):
    model = zoo.build_mlp(**SMALL, normalization=normalization)
    names = _names(model)
    for index in (1, 2):
        assert isinstance(model.get_layer(f"hidden_{index}_norm"), layer_class)
        assert names.index(f"hidden_{index}") < names.index(f"hidden_{index}_norm") < names.index(
            f"hidden_{index}_act"
        )
    assert not any(name.endswith("_norm") for name in _names(zoo.build_mlp(**SMALL)))


def test_dropout_layers_only_when_asked():
    dropouts = _layers_of(zoo.build_mlp(**SMALL, dropout=0.3), keras.layers.Dropout)
    assert [layer.rate for layer in dropouts] == [0.3, 0.3]
    assert not _layers_of(zoo.build_mlp(**SMALL), keras.layers.Dropout)


def test_maxout_doubles_the_dense_width_and_takes_pairwise_maxima():
    model = zoo.build_mlp(**SMALL, activation="maxout")
    assert model.get_layer("hidden_1").units == 16
    assert isinstance(model.get_layer("hidden_1_act"), Maxout)
    x = np.random.default_rng(0).normal(size=(5, 6)).astype("float32")
    dense = _outputs_of(model, "hidden_1", x)
    expected = dense.reshape(5, 8, 2).max(-1)
    np.testing.assert_allclose(_outputs_of(model, "hidden_1_act", x), expected, rtol=1e-6)


def test_prelu_has_learned_slopes_and_leaky_relu_leaks():
    model = zoo.build_mlp(**SMALL, activation="prelu")
    prelu = model.get_layer("hidden_1_act")
    assert isinstance(prelu, keras.layers.PReLU)
    assert prelu.trainable_weights[0].shape == (8,)
    leaky = zoo.build_mlp(**SMALL, activation="leaky_relu", kernel_initializer="ones",
                          bias_initializer=keras.initializers.Constant(-100.0))
    x = np.ones((2, 6), "float32")
    hidden = _outputs_of(leaky, "hidden_1_act", x)
    assert np.all(hidden < 0)


_QUICK_ACTIVATIONS = ("relu", "glu", "threshold")


@pytest.mark.parametrize(
    "activation",
    [
        name if name in _QUICK_ACTIVATIONS else pytest.param(name, marks=pytest.mark.slow)
        for name in _keras_activation_names()
    ],
)
def test_every_keras_activation_builds_or_is_refused_clearly(activation):
    if activation == "threshold":  # needs arguments of its own
        with pytest.raises(ValueError, match="Received: activation='threshold'"):
            zoo.build_mlp(**SMALL, activation=activation)
        return
    model = zoo.build_mlp(**SMALL, activation=activation)
    output = keras.ops.convert_to_numpy(model(np.ones((2, 6), "float32")))
    assert output.shape == (2, 3)
    assert np.all(np.isfinite(output))


def test_negative_bias_makes_dead_relus():
    model = zoo.build_mlp(**SMALL, bias_initializer=keras.initializers.Constant(-10.0))
    x = np.random.default_rng(0).uniform(0, 1, size=(32, 6)).astype("float32")
    assert np.all(_outputs_of(model, "hidden_1_act", x) == 0.0)
    assert np.any(_outputs_of(zoo.build_mlp(**SMALL), "hidden_1_act", x) > 0.0)


def test_initializers_by_name_config_and_instance():
    by_name = zoo.build_mlp(**SMALL, kernel_initializer="ones")
    assert np.all(by_name.get_layer("hidden_2").kernel.numpy() == 1.0)
    config = {"class_name": "Constant", "config": {"value": 0.5}}
    assert np.all(zoo.build_mlp(**SMALL, kernel_initializer=config).get_layer("output").kernel.numpy() == 0.5)
    instance = keras.initializers.RandomNormal(stddev=1.0)
    model = zoo.build_mlp(**SMALL, kernel_initializer=instance)
    assert model.get_layer("hidden_1").kernel_initializer is not instance  # never shared
    assert model.get_layer("hidden_1").kernel.numpy().std() > 0.5


def test_l1_and_l2_add_penalties_on_every_kernel():
    assert zoo.build_mlp(**SMALL).losses == []
    model = zoo.build_mlp(**SMALL, l2=0.1)
    model(np.zeros((1, 6), "float32"))
    kernels = [model.get_layer(name).kernel.numpy() for name in ("hidden_1", "hidden_2", "output")]
    assert len(model.losses) == 3
    np.testing.assert_allclose(
        float(sum(model.losses)), 0.1 * sum(float((kernel**2).sum()) for kernel in kernels), rtol=1e-5
    )
    assert len(zoo.build_mlp(**SMALL, l1=0.01).losses) == 3


def test_classifier_head_softmax_logits_and_binary():
    x = np.random.default_rng(0).normal(size=(4, 6)).astype("float32")
    probabilities = keras.ops.convert_to_numpy(zoo.build_mlp(**SMALL)(x))
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)
    logits = zoo.build_mlp(**SMALL, classifier_activation=None)
    assert logits.get_layer("output").activation is keras.activations.linear
    binary = zoo.build_mlp(input_shape=(6,), num_classes=1)
    assert binary.output_shape == (None, 1)
    assert binary.get_layer("output").activation is keras.activations.sigmoid


def test_shapes_hidden_units_and_flattening():
    assert _names(zoo.build_mlp(input_shape=(4,), num_classes=2, hidden_units=())) == ["input", "output"]
    assert zoo.build_mlp(input_shape=(4,), num_classes=2, hidden_units=5).get_layer("hidden_1").units == 5
    images = zoo.build_mlp(input_shape=(8, 8, 1), num_classes=10, hidden_units=(4,))
    assert images.get_layer("flatten").output.shape == (None, 64)


def test_output_is_float32_under_mixed_precision():
    keras.config.set_dtype_policy("mixed_float16")
    try:
        model = zoo.build_mlp(**SMALL)
    finally:
        keras.config.set_dtype_policy("float32")
    assert model.get_layer("hidden_1").compute_dtype == "float16"
    assert model.output.dtype == "float32"


def test_perceptron_is_a_single_layer():
    binary = zoo.build_perceptron()
    assert _names(binary) == ["input", "output"]
    assert binary.output_shape == (None, 1)
    assert binary.get_layer("output").activation is keras.activations.sigmoid
    multiclass = zoo.build_perceptron(input_shape=(8, 8), num_classes=10, l2=0.01,
                                      bias_initializer="ones")
    assert _names(multiclass) == ["input", "flatten", "output"]
    assert multiclass.get_layer("output").kernel.shape == (64, 10)
    assert np.all(multiclass.get_layer("output").bias.numpy() == 1.0)
    assert len(multiclass.losses) == 1


@pytest.mark.slow
def test_a_perceptron_cannot_learn_xor_and_an_mlp_can():
    from zoo.datasets import make_xor

    x, y = make_xor(n_samples=4, noise=0.0)

    def accuracy(model):
        # 300 steps on the four points, in few epochs (each epoch has a fixed overhead).
        model.compile(
            optimizer=keras.optimizers.Adam(0.05), loss="binary_crossentropy", steps_per_execution=50
        )
        model.fit(np.tile(x, (100, 1)), np.tile(y, 100), batch_size=4, epochs=3, verbose=0, shuffle=False)
        predictions = keras.ops.convert_to_numpy(model(x))[:, 0] > 0.5
        return float(np.mean(predictions == y))

    assert accuracy(zoo.build_perceptron(input_shape=(2,), num_classes=1)) <= 0.75
    assert accuracy(zoo.build_mlp(input_shape=(2,), num_classes=1, hidden_units=(8,), activation="tanh")) == 1.0
