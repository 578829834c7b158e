"""The perceptron: inputs wired straight to the output units, with no hidden layer.

A single layer draws linear decision boundaries only, which is why it cannot learn XOR
(Minsky and Papert, 1969); `build_mlp` with one hidden layer can.

Example:

>>> import zoo
>>> model = zoo.build_perceptron(input_shape=(2,), num_classes=1)   # binary: one sigmoid unit
>>> [layer.name for layer in model.layers]
['input', 'output']
"""

import keras
from keras import layers

from zoo._validation import Shape, validate_arguments
from zoo.models import _arguments, _blocks
from zoo.registry import register_model

_CONSTRAINTS = _arguments.classifier_constraints(
    input_shape=Shape(min_ndim=1), bias_initializer=_arguments.INITIALIZER
)


@register_model("perceptron", small_kwargs={"input_shape": (4,), "num_classes": 3})
@validate_arguments(_CONSTRAINTS)
@_arguments.document_classifier_arguments
def build_perceptron(
    input_shape=(2,),
    num_classes=1,
    classifier_activation="softmax",
    kernel_initializer="glorot_uniform",
    bias_initializer="zeros",
    l1=0.0,
    l2=0.0,
    name="perceptron",
):
    """Builds a single-layer perceptron (a linear or logistic classifier).

    Args:
        input_shape: shape of one example without the batch axis; inputs of more than one
            dimension are flattened first (layer `flatten`).
        kernel_initializer: Keras initializer (name, config or instance) of the weights.
        bias_initializer: Keras initializer of the bias.
        {classifier_arguments}

    Returns:
        An uncompiled functional `keras.Model` with layers `input`, (`flatten`,) `output`.

    Example:

    >>> build_perceptron(input_shape=(64,), num_classes=10).output_shape
    (None, 10)
    """
    inputs = keras.Input(input_shape, name="input")
    x = layers.Flatten(name="flatten")(inputs) if len(input_shape) > 1 else inputs
    outputs = _blocks.classifier_head(
        x, num_classes, classifier_activation, kernel_initializer, l1, l2, bias_initializer
    )
    return keras.Model(inputs, outputs, name=name)
