"""Layer factories shared by the classifier and recurrent builders.

Naming convention (diagnostics report findings by layer name): a trainable layer gets a plain
name such as `hidden_2` or `conv_1`; what follows it gets that name plus a suffix: `_norm`,
`_act`, `_pool`, `_dropout`, `_projection`, `_add`. The classifier head is the Dense layer
`output` (computed in float32, so it stays exact under mixed precision).
"""

import keras
from keras import layers

from zoo.layers import GLU, Maxout
from zoo.models._arguments import WIDTH_FACTORS

MAXOUT_PIECES = 2


def initializer(config):
    """A fresh initializer from what the `Initializer` constraint returned."""
    return keras.initializers.get(config)


def width_factor(activation):
    """How many features the layer before `activation` must produce per unit."""
    return WIDTH_FACTORS.get(activation, 1)


def regularizer(l1, l2):
    """An L1/L2 kernel penalty, or None when both factors are zero."""
    if l1 == 0.0 and l2 == 0.0:
        return None
    return keras.regularizers.L1L2(l1=l1, l2=l2)


def normalization_layer(kind, name):
    """The normalization layer for `kind` (`"batch"` or `"layer"`), or None."""
    if kind == "batch":
        return layers.BatchNormalization(name=name)
    if kind == "layer":
        return layers.LayerNormalization(name=name)
    return None


def activation_layer(activation, name, spatial=False):
    """The hidden activation as its own layer, so that its outputs can be probed by name."""
    if activation == "prelu":
        # On images one slope per channel, as in He et al. (2015).
        return layers.PReLU(shared_axes=[1, 2] if spatial else None, name=name)
    if activation == "maxout":
        return Maxout(pieces=MAXOUT_PIECES, name=name)
    if activation == "glu":
        return GLU(name=name)
    return layers.Activation(activation, name=name)


def apply_post(x, prefix, normalization, activation, dropout=0.0, spatial=False):
    """Applies `prefix_norm`, `prefix_act` and `prefix_dropout` after a Dense/Conv layer."""
    norm = normalization_layer(normalization, f"{prefix}_norm")
    if norm is not None:
        x = norm(x)
    x = activation_layer(activation, f"{prefix}_act", spatial=spatial)(x)
    if dropout > 0.0:
        x = layers.Dropout(dropout, name=f"{prefix}_dropout")(x)
    return x


def dense_stack(x, named_units, factor, normalization, activation, dropout, weights):
    """Dense blocks `name` -> `name_norm` -> `name_act` -> `name_dropout`.

    Args:
        x: the input tensor.
        named_units: `(name, units)` of each block, in order.
        factor: width factor of the activation (`width_factor`).
        normalization, activation, dropout: as in `apply_post`.
        weights: a function of no arguments that returns each Dense layer's `weights(...)`.

    Returns:
        The output tensor of the last block.
    """
    for prefix, units in named_units:
        x = layers.Dense(units * factor, name=prefix, **weights())(x)
        x = apply_post(x, prefix, normalization, activation, dropout)
    return x


def output_units(num_classes, classifier_activation):
    """The head's width and activation: one sigmoid unit for num_classes=1 with "softmax"."""
    if num_classes == 1 and classifier_activation == "softmax":
        return 1, "sigmoid"
    return num_classes, classifier_activation


def weights(kernel_initializer, l1, l2, bias_initializer=None):
    """Keyword arguments of one Dense or Conv layer: fresh initializers and the kernel penalty."""
    kwargs = {
        "kernel_initializer": initializer(kernel_initializer),
        "kernel_regularizer": regularizer(l1, l2),
    }
    if bias_initializer is not None:
        kwargs["bias_initializer"] = initializer(bias_initializer)
    return kwargs


def classifier_head(
    x, num_classes, classifier_activation, kernel_initializer, l1, l2, bias_initializer="zeros"
):
    """The Dense `output` layer, in float32."""
    units, activation = output_units(num_classes, classifier_activation)
    return layers.Dense(
        units,
        activation=activation,
        dtype="float32",
        name="output",
        **weights(kernel_initializer, l1, l2, bias_initializer),
    )(x)
