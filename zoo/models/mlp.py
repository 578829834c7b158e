"""The multilayer perceptron, with every knob the classic training problems depend on.

Each hidden block is `hidden_i` (Dense) -> `hidden_i_norm` -> `hidden_i_act` -> `hidden_i_dropout`,
and with `residual=True` the block's input is added back (`hidden_i_add`), through a linear
projection (`hidden_i_projection`) where the widths differ. Deep stacks of sigmoid or tanh units
reproduce vanishing gradients; ReLU with a negative `bias_initializer` reproduces dead units;
normalization and skip connections are the cures.

Example:

>>> import zoo
>>> model = zoo.build_mlp(input_shape=(64,), num_classes=10, hidden_units=(32, 32),
...                       activation="tanh", normalization="batch", dropout=0.1)
>>> [layer.name for layer in model.layers][:5]
['input', 'hidden_1', 'hidden_1_norm', 'hidden_1_act', 'hidden_1_dropout']
"""

import math

import keras
from keras import layers

from zoo._validation import Boolean, Shape, validate_arguments
from zoo.models import _arguments, _blocks
from zoo.registry import register_model

_CONSTRAINTS = _arguments.classifier_constraints(
    input_shape=Shape(min_ndim=1),
    hidden_units=_arguments.WIDTHS,
    activation=_arguments.Activation(),
    bias_initializer=_arguments.INITIALIZER,
    normalization=_arguments.NORMALIZATION,
    dropout=_arguments.RATE,
    residual=Boolean(),
)


@register_model(
    "mlp", small_kwargs={"input_shape": (6,), "num_classes": 3, "hidden_units": (8, 8)}
)
@validate_arguments(_CONSTRAINTS)
@_arguments.document_classifier_arguments
def build_mlp(
    input_shape=(64,),
    num_classes=10,
    hidden_units=(64, 64),
    activation="relu",
    kernel_initializer="glorot_uniform",
    bias_initializer="zeros",
    normalization=None,
    dropout=0.0,
    l1=0.0,
    l2=0.0,
    residual=False,
    classifier_activation="softmax",
    name="mlp",
):
    """Builds a fully connected classifier.

    Args:
        input_shape: shape of one example without the batch axis; inputs of more than one
            dimension are flattened first (layer `flatten`).
        hidden_units: width of each hidden layer (an int gives one layer; `()` gives a perceptron).
        activation: hidden activation: any Keras activation name (`"relu"`, `"tanh"`,
            `"sigmoid"`, `"leaky_relu"`, `"selu"`, `"gelu"`, ...), `"prelu"` (learned slopes) or
            `"maxout"` (the max of 2 linear pieces: the Dense layer gets twice the width; so does
            it for `"glu"`).
        kernel_initializer: Keras initializer (name, config or instance) of every kernel.
        bias_initializer: Keras initializer of the hidden layers' biases (a negative constant
            makes dead ReLUs).
        normalization: None, `"batch"` or `"layer"`: inserted between each Dense layer and its
            activation.
        dropout: dropout rate after each hidden activation.
        residual: add each block's input to its output (skip connections).
        {classifier_arguments}

    Returns:
        An uncompiled functional `keras.Model`.

    Example:

    >>> build_mlp(input_shape=(8, 8, 1), num_classes=10, residual=True).output_shape
    (None, 10)
    """
    inputs = keras.Input(input_shape, name="input")
    x = layers.Flatten(name="flatten")(inputs) if len(input_shape) > 1 else inputs
    width = math.prod(input_shape)
    for index, units in enumerate(hidden_units, start=1):
        prefix = f"hidden_{index}"
        block_input = x
        x = layers.Dense(
            units * _blocks.width_factor(activation),
            name=prefix,
            **_blocks.weights(kernel_initializer, l1, l2, bias_initializer),
        )(x)
        x = _blocks.apply_post(x, prefix, normalization, activation, dropout)
        if residual:
            shortcut = block_input
            if width != units:
                shortcut = layers.Dense(
                    units,
                    use_bias=False,
                    name=f"{prefix}_projection",
                    **_blocks.weights(kernel_initializer, l1, l2),
                )(block_input)
            x = layers.Add(name=f"{prefix}_add")([shortcut, x])
        width = units

    outputs = _blocks.classifier_head(
        x, num_classes, classifier_activation, kernel_initializer, l1, l2
    )
    return keras.Model(inputs, outputs, name=name)
