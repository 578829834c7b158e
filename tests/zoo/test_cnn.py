"""Knob semantics of `build_cnn` and `build_lenet`."""

import keras
import numpy as np
import pytest

import zoo
from zoo.layers import Maxout

SMALL = {"input_shape": (8, 8, 1), "num_classes": 3, "filters": (4, 8), "dense_units": (8,)}


def _names(model):
    return [layer.name for layer in model.layers]


def _shape(model, layer_name):
    return tuple(model.get_layer(layer_name).output.shape)


def test_cnn_layer_names_and_shapes():
    model = zoo.build_cnn(**SMALL, normalization="batch", dropout=0.2)
    assert _names(model) == [
        "input",
        "conv_1", "conv_1_norm", "conv_1_act", "conv_1_pool", "conv_1_dropout",
        "conv_2", "conv_2_norm", "conv_2_act", "conv_2_pool", "conv_2_dropout",
        "flatten",
        "dense_1", "dense_1_norm", "dense_1_act", "dense_1_dropout",
        "output",
    ]
    keras.utils.clear_session()
    assert _names(zoo.build_cnn(**SMALL, normalization="batch", dropout=0.2)) == _names(model)
    assert _shape(model, "conv_1") == (None, 8, 8, 4)
    assert _shape(model, "conv_2_pool") == (None, 2, 2, 8)
    assert isinstance(model.get_layer("conv_1_norm"), keras.layers.BatchNormalization)


@pytest.mark.parametrize(
    "pool, layer_class",
    [("max", keras.layers.MaxPooling2D), ("average", keras.layers.AveragePooling2D)],
)
def test_cnn_pooling_kinds(pool, layer_class):
    assert isinstance(zoo.build_cnn(**SMALL, pool=pool).get_layer("conv_2_pool"), layer_class)


def test_cnn_without_pooling_keeps_the_resolution_and_accepts_tiny_images():
    model = zoo.build_cnn(**{**SMALL, "input_shape": (2, 2, 1)}, pool=None)
    assert not any(name.endswith("_pool") for name in _names(model))
    assert _shape(model, "conv_2_act") == (None, 2, 2, 8)


def test_cnn_kernel_size_layer_norm_and_no_dense_layers():
    model = zoo.build_cnn(**{**SMALL, "dense_units": ()}, kernel_size=5, normalization="layer")
    assert model.get_layer("conv_1").kernel.shape == (5, 5, 1, 4)
    assert isinstance(model.get_layer("conv_2_norm"), keras.layers.LayerNormalization)
    assert "dense_1" not in _names(model)


def test_cnn_maxout_and_prelu_act_per_channel():
    maxout = zoo.build_cnn(**SMALL, activation="maxout")
    assert maxout.get_layer("conv_1").filters == 8
    assert isinstance(maxout.get_layer("conv_1_act"), Maxout)
    assert _shape(maxout, "conv_1_act") == (None, 8, 8, 4)
    assert maxout.get_layer("dense_1").units == 16
    prelu = zoo.build_cnn(**SMALL, activation="prelu")
    assert prelu.get_layer("conv_1_act").trainable_weights[0].shape == (1, 1, 4)  # one slope per channel
    assert prelu.get_layer("dense_1_act").trainable_weights[0].shape == (8,)


def test_cnn_l2_penalises_every_kernel():
    model = zoo.build_cnn(**SMALL, l2=1e-3)
    assert len(model.losses) == 4  # conv_1, conv_2, dense_1, output


def test_too_small_message_explains_why():
    with pytest.raises(ValueError, match=r"too small: 3 pooling stages needs images of at least 8x8"):
        zoo.build_cnn(**{**SMALL, "filters": (2, 2, 2), "input_shape": (7, 9, 1)})


def test_lenet_has_the_sizes_of_the_paper_on_32x32():
    model = zoo.build_lenet(input_shape=(32, 32, 1), num_classes=10)
    assert _names(model) == [
        "input", "c1", "c1_act", "s2", "c3", "c3_act", "s4", "flatten",
        "c5", "c5_act", "f6", "f6_act", "output",
    ]
    assert _shape(model, "c1") == (None, 28, 28, 6)
    assert _shape(model, "s2") == (None, 14, 14, 6)
    assert _shape(model, "c3") == (None, 10, 10, 16)
    assert _shape(model, "s4") == (None, 5, 5, 16)
    assert _shape(model, "c5") == (None, 120)
    assert _shape(model, "f6") == (None, 84)
    assert model.get_layer("c1").kernel.shape == (5, 5, 1, 6)
    # 156 + 2,416 + 48,120 + 10,164 + 850 (C3 fully connected, Dense output).
    assert model.count_params() == 61_706
    assert isinstance(model.get_layer("s2"), keras.layers.AveragePooling2D)
    assert model.get_layer("c1_act").activation is keras.activations.tanh


@pytest.mark.parametrize(
    "input_shape, s4",
    [((28, 28, 1), (4, 4, 16)), ((8, 8, 1), (2, 2, 16)), ((32, 32, 3), (5, 5, 16)), ((4, 6, 1), (1, 1, 16))],
)
def test_lenet_adapts_padding_to_the_image(input_shape, s4):
    model = zoo.build_lenet(input_shape=input_shape)
    assert _shape(model, "s4") == (None, *s4)
    x = np.zeros((2, *input_shape), "float32")
    assert keras.ops.convert_to_numpy(model(x)).shape == (2, 10)


def test_lenet_knobs():
    model = zoo.build_lenet(input_shape=(8, 8, 1), activation="relu", pool="max", dropout=0.5,
                            classifier_activation=None, l2=1e-4)
    assert isinstance(model.get_layer("s4"), keras.layers.MaxPooling2D)
    assert {"c5_dropout", "f6_dropout"} <= set(_names(model))
    assert model.get_layer("output").activation is keras.activations.linear
    assert len(model.losses) == 5


def test_lenet_refuses_images_smaller_than_4x4():
    with pytest.raises(ValueError, match=r"at least 4x4\. Received: input_shape=\(3, 8, 1\)"):
        zoo.build_lenet(input_shape=(3, 8, 1))
