"""Argument checks and layer factories shared by the classifier and recurrent builders.

Naming convention (diagnostics report findings by layer name): a trainable layer gets a plain
name such as `hidden_2` or `conv_1`; what follows it gets that name plus a suffix: `_norm`,
`_act`, `_pool`, `_dropout`, `_projection`, `_add`. The classifier head is the Dense layer
`output` (computed in float32, so it stays exact under mixed precision).
"""

import inspect
import numbers

import keras
from keras import layers

from zoo import _validation
from zoo.layers import GLU, Maxout

# Hidden activations that are layers rather than Keras activation functions.
LAYER_ACTIVATIONS = ("prelu", "maxout")
NORMALIZATIONS = (None, "batch", "layer")
POOLS = (None, "max", "average")

# Activations whose layer halves the features: the layer before them is made twice as wide.
_WIDTH_FACTORS = {"maxout": 2, "glu": 2}
MAXOUT_PIECES = 2


def _keras_activation_ok(value):
    """True when `value` names a Keras activation that needs no arguments besides its input."""
    try:
        function = keras.activations.get(value)
    except (ValueError, TypeError):
        return False
    try:
        parameters = list(inspect.signature(function).parameters.values())[1:]
    except (TypeError, ValueError):
        return callable(function)
    return all(parameter.default is not inspect.Parameter.empty for parameter in parameters)


def check_activation(name, value, allow_layers=True):
    """Checks a hidden activation: a Keras activation name, or `"prelu"` / `"maxout"`."""
    extra = LAYER_ACTIVATIONS if allow_layers else ()
    if not isinstance(value, str):
        raise TypeError(
            f"`{name}` must be the name of a Keras activation"
            f"{' or one of ' + str(list(extra)) if extra else ''}. Received: {name}={value!r}"
        )
    if value in extra or _keras_activation_ok(value):
        return value
    raise ValueError(
        f"`{name}` must be the name of a Keras activation that takes no extra arguments"
        f"{' or one of ' + str(list(extra)) if extra else ''}. Received: {name}={value!r}"
    )


def check_classifier_activation(value):
    """Checks `classifier_activation`: `None` (logits) or a Keras activation name."""
    if value is None:
        return None
    return check_activation("classifier_activation", value, allow_layers=False)


def check_initializer(name, value):
    """Checks an initializer: a Keras initializer name, config dict or instance; returns a config.

    The returned value is turned into a fresh initializer for every layer (`initializer()`), so
    that layers never share one stateful instance.
    """
    if isinstance(value, keras.initializers.Initializer):
        return keras.initializers.serialize(value)
    if not isinstance(value, (str, dict)):
        raise TypeError(
            f"`{name}` must be a Keras initializer, its name or its config. Received: {name}={value!r}"
        )
    try:
        initializer = keras.initializers.get(value)
    except (ValueError, TypeError, KeyError, AttributeError):
        initializer = None
    if not isinstance(initializer, keras.initializers.Initializer):
        raise ValueError(
            f"`{name}` must be a Keras initializer, its name or its config. Received: {name}={value!r}"
        )
    return value


def initializer(config):
    """A fresh initializer from what `check_initializer` returned."""
    return keras.initializers.get(config)


def check_normalization(value):
    return _validation.check_choice("normalization", value, NORMALIZATIONS)


def check_rate(name, value):
    """Checks a dropout rate in [0, 1)."""
    return _validation.check_float(name, value, minimum=0.0, maximum=1.0, max_inclusive=False)


def check_penalty(name, value):
    """Checks an L1 or L2 penalty factor (>= 0)."""
    return _validation.check_float(name, value, minimum=0.0)


def check_name(value):
    if not isinstance(value, str) or not value:
        raise TypeError(f"`name` must be a non-empty string. Received: name={value!r}")
    return value


def check_num_classes(value, allow_none=False):
    if value is None and allow_none:
        return None
    return _validation.check_int("num_classes", value, minimum=1, maximum=100_000)


def check_units(name, value, allow_empty=True, maximum=16_384, max_length=256):
    """Checks a tuple of layer widths; a single int is accepted as a one-layer tuple."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value,)
    units = _validation.check_int_sequence(name, value, minimum=1, allow_empty=allow_empty)
    if len(units) > max_length or any(width > maximum for width in units):
        raise ValueError(
            f"`{name}` must have at most {max_length} entries of at most {maximum}. "
            f"Received: {name}={value!r}"
        )
    return units


def width_factor(activation):
    """How many features the layer before `activation` must produce per unit."""
    return _WIDTH_FACTORS.get(activation, 1)


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


def output_units(num_classes, classifier_activation):
    """The head's width and activation: one sigmoid unit for num_classes=1 with "softmax"."""
    if num_classes == 1 and classifier_activation == "softmax":
        return 1, "sigmoid"
    return num_classes, classifier_activation


def classifier_head(
    x, num_classes, classifier_activation, kernel_initializer, bias_initializer, kernel_regularizer
):
    """The Dense `output` layer, in float32."""
    units, activation = output_units(num_classes, classifier_activation)
    return layers.Dense(
        units,
        activation=activation,
        kernel_initializer=initializer(kernel_initializer),
        bias_initializer=initializer(bias_initializer),
        kernel_regularizer=kernel_regularizer,
        dtype="float32",
        name="output",
    )(x)


def check_image_shape(input_shape):
    """Checks `(height, width, channels)`."""
    shape = _validation.check_shape("input_shape", input_shape, ndim=3)
    if shape[0] * shape[1] * shape[2] > 2**24:
        raise ValueError(
            f"`input_shape` must have at most 2**24 values. Received: input_shape={input_shape!r}"
        )
    return shape


def too_small(input_shape, minimum, reason):
    """Raises the error for images smaller than `minimum` on a side."""
    raise ValueError(
        f"`input_shape` is too small: {reason} needs images of at least {minimum}x{minimum}. "
        f"Received: input_shape={tuple(input_shape)!r}"
    )
