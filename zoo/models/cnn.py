"""Convolutional classifiers: a configurable conv/pool stack, and the classic LeNet-5.

`build_cnn` stacks blocks `conv_i` (Conv2D, "same" padding) -> `conv_i_norm` -> `conv_i_act` ->
`conv_i_pool` -> `conv_i_dropout`, then `flatten` and Dense blocks `dense_i` (same suffixes), then
the Dense `output`. `build_lenet` follows LeCun et al. (1998) and names its layers as the paper
does: `c1`, `s2`, `c3`, `s4`, `c5`, `f6`, `output`.

Example:

>>> import zoo
>>> model = zoo.build_cnn(input_shape=(8, 8, 1), num_classes=10, filters=(8, 16), dense_units=(32,))
>>> model.get_layer("conv_2_pool").output.shape
(None, 2, 2, 16)
>>> zoo.build_lenet(input_shape=(32, 32, 1)).get_layer("s4").output.shape
(None, 5, 5, 16)
"""

import functools

import keras
from keras import layers

from zoo._validation import Integer, Options, validate_arguments
from zoo.models import _arguments, _blocks
from zoo.registry import register_model

_POOL_LAYERS = {"max": layers.MaxPooling2D, "average": layers.AveragePooling2D}

_CNN_CONSTRAINTS = _arguments.classifier_constraints(
    input_shape=_arguments.IMAGE_SHAPE,
    filters=_arguments.WIDTHS,
    kernel_size=Integer(1, 31),
    pool=Options((None, *_POOL_LAYERS)),
    normalization=_arguments.NORMALIZATION,
    dropout=_arguments.RATE,
    activation=_arguments.Activation(),
    bias_initializer=_arguments.INITIALIZER,
    dense_units=_arguments.WIDTHS,
)


def _pooling_fits_the_image(input_shape, filters, pool, **_):
    if pool is not None:
        stages = len(filters)
        _arguments.require_image_side(input_shape, 2**stages, f"{stages} pooling stages")


@register_model(
    "cnn",
    small_kwargs={
        "input_shape": (8, 8, 1), "num_classes": 3, "filters": (4, 8), "dense_units": (8,),
    },
)
@validate_arguments(_CNN_CONSTRAINTS, rules=(_pooling_fits_the_image,))
@_arguments.document_classifier_arguments
def build_cnn(
    input_shape=(28, 28, 1),
    num_classes=10,
    filters=(32, 64),
    kernel_size=3,
    pool="max",
    normalization=None,
    dropout=0.0,
    activation="relu",
    kernel_initializer="glorot_uniform",
    bias_initializer="zeros",
    dense_units=(128,),
    l1=0.0,
    l2=0.0,
    classifier_activation="softmax",
    name="cnn",
):
    """Builds a convolutional classifier from conv/pool blocks and dense layers.

    Args:
        input_shape: `(height, width, channels)`.
        filters: number of filters of each conv block (one Conv2D per block).
        kernel_size: side of every convolution kernel ("same" padding).
        pool: `"max"`, `"average"` (2x2, stride 2, after each conv block) or None (no pooling).
            Each pooling halves the image, so the sides must be at least `2 ** len(filters)`.
        normalization: None, `"batch"` or `"layer"`, between each conv/dense layer and its
            activation.
        dropout: dropout rate after each block (conv and dense).
        activation: hidden activation: a Keras activation name, `"prelu"` (one slope per channel)
            or `"maxout"` (max over pairs of channels/units; the layer before gets twice the width).
        kernel_initializer: Keras initializer (name, config or instance) of every kernel.
        bias_initializer: Keras initializer of the hidden layers' biases.
        dense_units: widths of the dense layers between the conv stack and the output.
        {classifier_arguments}

    Returns:
        An uncompiled functional `keras.Model`.

    Example:

    >>> build_cnn(input_shape=(32, 32, 3), normalization="batch", dropout=0.25).output_shape
    (None, 10)
    """
    factor = _blocks.width_factor(activation)
    weights = functools.partial(_blocks.weights, kernel_initializer, l1, l2, bias_initializer)
    inputs = keras.Input(input_shape, name="input")
    x = inputs
    for index, width in enumerate(filters, start=1):
        prefix = f"conv_{index}"
        x = layers.Conv2D(width * factor, kernel_size, padding="same", name=prefix, **weights())(x)
        x = _blocks.apply_post(x, prefix, normalization, activation, spatial=True)
        if pool is not None:
            x = _POOL_LAYERS[pool](2, name=f"{prefix}_pool")(x)
        if dropout > 0.0:
            x = layers.Dropout(dropout, name=f"{prefix}_dropout")(x)
    x = layers.Flatten(name="flatten")(x)
    dense_layers = [(f"dense_{index}", width) for index, width in enumerate(dense_units, start=1)]
    x = _blocks.dense_stack(x, dense_layers, factor, normalization, activation, dropout, weights)

    outputs = _blocks.classifier_head(
        x, num_classes, classifier_activation, kernel_initializer, l1, l2
    )
    return keras.Model(inputs, outputs, name=name)


def _lenet_paddings(side):
    """Paddings of C1 and C3 for images whose shorter side is `side`.

    "valid" as in the paper where S4 keeps at least 4x4 pixels (or as many as "same" padding
    gives on smaller images): 32 -> 28 -> 14 -> 10 -> 5 (the paper), 28 -> 24 -> 12 -> 8 -> 4,
    and 8 (digits) -> 8 -> 4 -> 4 -> 2 with "same" padding throughout.
    """

    def s4_side(paddings):
        size = side
        for padding in paddings:
            size = size - 4 if padding == "valid" else size
            if size < 2:
                return 0
            size //= 2
        return size

    candidates = (("valid", "valid"), ("same", "valid"), ("same", "same"))
    target = min(4, s4_side(candidates[-1]))
    return next(paddings for paddings in candidates if s4_side(paddings) >= target)


_LENET_CONSTRAINTS = _arguments.classifier_constraints(
    input_shape=_arguments.IMAGE_SHAPE,
    activation=_arguments.Activation(),
    pool=Options(("average", "max")),
    bias_initializer=_arguments.INITIALIZER,
    dropout=_arguments.RATE,
)


def _lenet_fits_the_image(input_shape, **_):
    _arguments.require_image_side(input_shape, 4, "LeNet-5's two 2x2 subsampling layers")


@register_model("lenet", small_kwargs={"input_shape": (8, 8, 1), "num_classes": 3})
@validate_arguments(_LENET_CONSTRAINTS, rules=(_lenet_fits_the_image,))
@_arguments.document_classifier_arguments
def build_lenet(
    input_shape=(32, 32, 1),
    num_classes=10,
    activation="tanh",
    pool="average",
    kernel_initializer="glorot_uniform",
    bias_initializer="zeros",
    dropout=0.0,
    l1=0.0,
    l2=0.0,
    classifier_activation="softmax",
    name="lenet",
):
    """Builds LeNet-5 (LeCun, Bottou, Bengio and Haffner, 1998).

    Layers: C1 6@5x5 convolution, S2 2x2 subsampling, C3 16@5x5 convolution, S4 2x2 subsampling,
    C5 120 units, F6 84 units, and the `output` layer. C5 is a Dense layer on the flattened S4:
    on the paper's 32x32 input S4 is 5x5, where the paper's 5x5 convolution is the same thing.
    The convolutions use "valid" padding as in the paper where the image is large enough and
    "same" where it is not, so the net also fits 28x28 and 8x8 images; images smaller than 4x4
    are refused. The paper's RBF output and partial C3 connections are replaced by a Dense
    output and full connections, as is usual today.

    Args:
        input_shape: `(height, width, channels)`, at least 4x4 (32x32x1 in the paper).
        activation: hidden activation (`"tanh"` as in the paper; any name `build_mlp` takes).
        pool: subsampling of S2 and S4: `"average"` (as in the paper) or `"max"`.
        kernel_initializer: Keras initializer (name, config or instance) of every kernel.
        bias_initializer: Keras initializer of the hidden layers' biases.
        dropout: dropout rate after C5 and F6 (`c5_dropout`, `f6_dropout`).
        {classifier_arguments}

    Returns:
        An uncompiled functional `keras.Model`.

    Example:

    >>> build_lenet(input_shape=(8, 8, 1)).get_layer("s4").output.shape
    (None, 2, 2, 16)
    """
    factor = _blocks.width_factor(activation)
    weights = functools.partial(_blocks.weights, kernel_initializer, l1, l2, bias_initializer)

    def conv(filters, padding, layer_name):
        return layers.Conv2D(filters * factor, 5, padding=padding, name=layer_name, **weights())

    c1_padding, c3_padding = _lenet_paddings(min(input_shape[:2]))
    inputs = keras.Input(input_shape, name="input")
    x = conv(6, c1_padding, "c1")(inputs)
    x = _blocks.activation_layer(activation, "c1_act", spatial=True)(x)
    x = _POOL_LAYERS[pool](2, name="s2")(x)
    x = conv(16, c3_padding, "c3")(x)
    x = _blocks.activation_layer(activation, "c3_act", spatial=True)(x)
    x = _POOL_LAYERS[pool](2, name="s4")(x)
    x = layers.Flatten(name="flatten")(x)
    dense_layers = (("c5", 120), ("f6", 84))
    x = _blocks.dense_stack(x, dense_layers, factor, None, activation, dropout, weights)

    outputs = _blocks.classifier_head(
        x, num_classes, classifier_activation, kernel_initializer, l1, l2
    )
    return keras.Model(inputs, outputs, name=name)
