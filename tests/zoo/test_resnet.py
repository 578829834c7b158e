"""Knob semantics of `build_resnet`."""

import keras
import pytest

import zoo

SMALL = {"input_shape": (8, 8, 3), "num_classes": 3, "blocks": (1, 1), "width": 4}


def _names(model):
    return [layer.name for layer in model.layers]


def _count(model, cls):
    return sum(type(layer) is cls for layer in model.layers)


def test_depth_20_is_three_stages_of_three_blocks():
    model = zoo.build_resnet(input_shape=(32, 32, 3), depth=20)
    assert _count(model, keras.layers.Add) == 9
    # 19 3x3 convolutions (stem + 2 per block) + 2 projection shortcuts; + the output = 20 + 2.
    assert _count(model, keras.layers.Conv2D) == 21
    assert tuple(model.get_layer("stage1_block3_add").output.shape) == (None, 32, 32, 16)
    assert tuple(model.get_layer("stage2_block1_add").output.shape) == (None, 16, 16, 32)
    assert tuple(model.get_layer("stage3_block3_add").output.shape) == (None, 8, 8, 64)
    assert [name for name in _names(model) if name.endswith("_shortcut")] == [
        "stage2_block1_shortcut", "stage3_block1_shortcut"
    ]


def test_default_is_resnet_14_and_blocks_set_the_stages():
    assert _count(zoo.build_resnet(), keras.layers.Add) == 6
    model = zoo.build_resnet(**{**SMALL, "blocks": (1, 2, 3, 1), "width": 2})
    assert _count(model, keras.layers.Add) == 7
    assert model.get_layer("stage4_block1_conv2").filters == 16


def test_post_activation_block_layout():
    model = zoo.build_resnet(**SMALL)
    names = _names(model)
    assert names[:4] == ["input", "stem", "stem_norm", "stem_act"]
    block = [name for name in names if name.startswith("stage1_block1")]
    assert block == [
        "stage1_block1_conv1", "stage1_block1_norm1", "stage1_block1_act1",
        "stage1_block1_conv2", "stage1_block1_norm2", "stage1_block1_add", "stage1_block1_act2",
    ]
    assert "stage2_block1_shortcut_norm" in names
    assert names[-2:] == ["pool", "output"]


def test_pre_activation_block_layout_and_identity_shortcut():
    model = zoo.build_resnet(**SMALL, preactivation=True)
    names = _names(model)
    assert "stem_norm" not in names
    assert {"final_norm", "final_act"} <= set(names)
    assert names.index("stage1_block1_norm1") < names.index("stage1_block1_act1") < names.index(
        "stage1_block1_conv1"
    )
    # The identity shortcut carries the block's raw input, not its normalised activation.
    add_inputs = model.get_layer("stage1_block1_add").input
    assert add_inputs[0] is model.get_layer("stem").output
    assert add_inputs[1] is model.get_layer("stage1_block1_conv2").output
    # A projection sees the activated input.
    shortcut = model.get_layer("stage2_block1_shortcut")
    assert shortcut.input is model.get_layer("stage2_block1_act1").output


@pytest.mark.parametrize(
    "normalization, layer_class",
    [("batch", keras.layers.BatchNormalization), ("layer", keras.layers.LayerNormalization)],
)
def test_normalization_choice(normalization, layer_class):
    model = zoo.build_resnet(**SMALL, normalization=normalization)
    assert isinstance(model.get_layer("stage1_block1_norm1"), layer_class)
    assert model.get_layer("stem").use_bias is False


def test_without_normalization_the_convolutions_get_biases():
    model = zoo.build_resnet(**SMALL, normalization=None)
    assert not any(name.endswith(("_norm", "_norm1", "_norm2")) for name in _names(model))
    assert model.get_layer("stem").use_bias is True


def test_width_dropout_regularisation_and_head():
    model = zoo.build_resnet(
        **{**SMALL, "width": 6, "num_classes": 1}, dropout=0.3, l2=1e-4, classifier_activation=None
    )
    assert model.get_layer("stage2_block1_conv1").filters == 12
    assert model.get_layer("dropout").rate == 0.3
    assert len(model.losses) == 7  # stem, 2 blocks x 2 convs, 1 shortcut, output
    assert model.output_shape == (None, 1)
    assert model.get_layer("output").activation is keras.activations.linear
