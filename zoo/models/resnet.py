"""Residual networks for small images, after He et al. (2016), CIFAR variant.

A 3x3 `stem` convolution is followed by stages of basic blocks (two 3x3 convolutions and an
identity shortcut); each stage after the first halves the resolution (stride 2) and doubles the
width, with a 1x1 projection on the shortcut where the shape changes. Global average pooling
(`pool`) and the Dense `output` end the net.

Block `stage{s}_block{b}` has layers `_conv1`, `_norm1`, `_act1`, `_conv2`, `_norm2`, `_add`,
and `_shortcut` (+ `_shortcut_norm`) where it projects:

- post-activation (the 2015 ResNet): conv1 -> norm1 -> act1 -> conv2 -> norm2, add, then `_act2`;
- pre-activation (`preactivation=True`, the 2016 "identity mappings" ResNet): norm1 -> act1 ->
  conv1 -> norm2 -> act2 -> conv2, add; the stem has no normalization and the net ends with
  `final_norm` -> `final_act`.

Example:

>>> import zoo
>>> model = zoo.build_resnet(input_shape=(32, 32, 3), depth=20)   # 3 stages of 3 blocks
>>> model.get_layer("stage3_block3_add").output.shape
(None, 8, 8, 64)
"""

import keras
from keras import layers

from zoo._validation import Boolean, Integer, IntegerSequence, Invalid, Optional
from zoo._validation import validate_arguments
from zoo.models import _arguments, _blocks
from zoo.registry import register_model

_DEFAULT_BLOCKS = (2, 2, 2)

_CONSTRAINTS = _arguments.classifier_constraints(
    input_shape=_arguments.IMAGE_SHAPE,
    depth=Optional(Integer(8, 6 * 64 + 2)),
    blocks=Optional(IntegerSequence(maximum=64, min_length=1, max_length=8, accept_int=True)),
    width=Integer(1, 1024),
    preactivation=Boolean(),
    normalization=_arguments.NORMALIZATION,
    activation=_arguments.Activation(keep_width=True),
    dropout=_arguments.RATE,
)


def _stages(depth, blocks):
    """Blocks per stage: from `depth` (6n + 2 layers: 3 stages of n), `blocks` or the default."""
    if depth is None:
        return blocks or _DEFAULT_BLOCKS
    return ((depth - 2) // 6,) * 3


def _depth_is_6n_plus_2(depth, **_):
    if depth is not None and (depth - 2) % 6:
        raise Invalid(
            "must be 6n + 2 (3 stages of n basic blocks: 8, 14, 20, 32, 44, 56, 110)",
            argument="depth",
        )


def _depth_and_blocks_agree(depth, blocks, **_):
    if depth is not None and blocks is not None and blocks != _stages(depth, None):
        raise Invalid(
            f"must agree with depth={depth}, which means blocks={_stages(depth, None)}; pass "
            "one of them",
            argument="blocks",
        )


def _stages_fit_the_image(input_shape, depth, blocks, **_):
    stages = len(_stages(depth, blocks))
    _arguments.require_image_side(input_shape, 2 ** (stages - 1), f"{stages} stages")


@register_model(
    "resnet", small_kwargs={"input_shape": (8, 8, 3), "num_classes": 3, "blocks": (1, 1), "width": 4}
)
@validate_arguments(
    _CONSTRAINTS, rules=(_depth_is_6n_plus_2, _depth_and_blocks_agree, _stages_fit_the_image)
)
@_arguments.document_classifier_arguments
def build_resnet(
    input_shape=(32, 32, 3),
    num_classes=10,
    depth=None,
    blocks=None,
    width=16,
    preactivation=False,
    normalization="batch",
    activation="relu",
    kernel_initializer="he_normal",
    dropout=0.0,
    l1=0.0,
    l2=0.0,
    classifier_activation="softmax",
    name="resnet",
):
    """Builds a residual network of basic blocks for small images.

    He et al. train it with an L2 penalty of 1e-4 (`l2=1e-4`).

    Args:
        input_shape: `(height, width, channels)`; the sides must be at least
            `2 ** (number of stages - 1)`.
        depth: total number of weighted layers, 6n + 2 (20 is ResNet-20): 3 stages of n blocks.
        blocks: basic blocks per stage, e.g. `(2, 2, 2)` (the default, ResNet-14); give `depth`
            or `blocks`.
        width: filters of the stem and the first stage; each later stage doubles it.
        preactivation: pre-activation blocks (He et al., 2016b) instead of post-activation ones.
        normalization: `"batch"` (as in the papers), `"layer"` or None (no normalization).
        activation: activation after each normalization: a Keras activation name or `"prelu"`.
        kernel_initializer: Keras initializer (name, config or instance) of every kernel.
        dropout: dropout rate before the `output` layer.
        {classifier_arguments}

    Returns:
        An uncompiled functional `keras.Model`.

    Example:

    >>> build_resnet(input_shape=(8, 8, 1), blocks=(1, 1), width=8, preactivation=True).output_shape
    (None, 10)
    """
    stages = _stages(depth, blocks)

    def conv(filters, size, stride, layer_name):
        return layers.Conv2D(
            filters,
            size,
            strides=stride,
            padding="same",
            use_bias=normalization is None,
            name=layer_name,
            **_blocks.weights(kernel_initializer, l1, l2),
        )

    def norm(x, layer_name):
        layer = _blocks.normalization_layer(normalization, layer_name)
        return x if layer is None else layer(x)

    def act(x, layer_name):
        return _blocks.activation_layer(activation, layer_name, spatial=True)(x)

    def block(x, filters, stride, prefix):
        project = stride != 1 or x.shape[-1] != filters
        if preactivation:
            activated = act(norm(x, f"{prefix}_norm1"), f"{prefix}_act1")
            # The identity shortcut carries the raw input; a projection sees the activated one.
            shortcut = conv(filters, 1, stride, f"{prefix}_shortcut")(activated) if project else x
            y = conv(filters, 3, stride, f"{prefix}_conv1")(activated)
            y = act(norm(y, f"{prefix}_norm2"), f"{prefix}_act2")
            y = conv(filters, 3, 1, f"{prefix}_conv2")(y)
            return layers.Add(name=f"{prefix}_add")([shortcut, y])
        shortcut = x
        if project:
            shortcut = norm(conv(filters, 1, stride, f"{prefix}_shortcut")(x), f"{prefix}_shortcut_norm")
        y = conv(filters, 3, stride, f"{prefix}_conv1")(x)
        y = act(norm(y, f"{prefix}_norm1"), f"{prefix}_act1")
        y = norm(conv(filters, 3, 1, f"{prefix}_conv2")(y), f"{prefix}_norm2")
        y = layers.Add(name=f"{prefix}_add")([shortcut, y])
        return act(y, f"{prefix}_act2")

    inputs = keras.Input(input_shape, name="input")
    x = conv(width, 3, 1, "stem")(inputs)
    if not preactivation:
        x = act(norm(x, "stem_norm"), "stem_act")
    for stage, count in enumerate(stages, start=1):
        filters = width * 2 ** (stage - 1)
        for index in range(1, count + 1):
            stride = 2 if stage > 1 and index == 1 else 1
            x = block(x, filters, stride, f"stage{stage}_block{index}")
    if preactivation:
        x = act(norm(x, "final_norm"), "final_act")
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    if dropout > 0.0:
        x = layers.Dropout(dropout, name="dropout")(x)
    outputs = _blocks.classifier_head(
        x, num_classes, classifier_activation, kernel_initializer, l1, l2
    )
    return keras.Model(inputs, outputs, name=name)
