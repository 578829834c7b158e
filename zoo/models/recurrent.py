"""Recurrent networks: stacked (optionally bidirectional) SimpleRNN, LSTM and GRU layers.

Layers are named `rnn_1`, `rnn_2`, ... (`lstm_i`, `gru_i`); a bidirectional layer keeps that
name and wraps `forward_<name>` and `backward_<name>`. The Dense `output` head follows: a
classifier (`num_classes`) or a regression (`output_units` linear outputs), applied to the last
step (`return_sequences=False`) or to every step (`return_sequences=True`).

The recurrent nonlinearity stays inside the recurrent layer (it acts within the time loop), so
unlike the feed-forward builders there is no separate `_act` layer. Gradient clipping needs
nothing here: pass `clipnorm=` or `global_clipnorm=` to the optimizer at compile time.

Example:

>>> import zoo
>>> model = zoo.build_lstm(input_shape=(50, 2), units=(32,))   # regression of the sum
>>> model.output_shape
(None, 1)
>>> tagger = zoo.build_gru(input_shape=(None, 8), num_classes=5, units=(16, 16),
...                        bidirectional=True, return_sequences=True)
>>> tagger.output_shape
(None, None, 5)
"""

import keras
from keras import layers

from zoo._validation import Boolean, Integer, IntegerSequence, Invalid, Optional, Shape
from zoo._validation import validate_arguments
from zoo.models import _arguments, _blocks
from zoo.registry import register_model

_LAYERS = {"rnn": layers.SimpleRNN, "lstm": layers.LSTM, "gru": layers.GRU}
_SMALL = {"input_shape": (5, 3), "num_classes": 3, "units": (4,)}
# Stacks deeper than this do not train (and take minutes to build); 64 is generous.
_MAX_STACKED = 64

_CONSTRAINTS = _arguments.classifier_constraints(
    input_shape=Shape(ndim=2, variable_length=True),
    num_classes=Optional(_arguments.NUM_CLASSES),
    output_units=Optional(Integer(1, _arguments.MAX_OUTPUTS)),
    units=IntegerSequence(
        maximum=_arguments.MAX_WIDTH, min_length=1, max_length=_MAX_STACKED, accept_int=True
    ),
    bidirectional=Boolean(),
    return_sequences=Boolean(),
    activation=_arguments.Activation(layers=False, keep_width=True),
    recurrent_initializer=_arguments.INITIALIZER,
    bias_initializer=_arguments.INITIALIZER,
    dropout=_arguments.RATE,
    recurrent_dropout=_arguments.RATE,
)


def _one_head(num_classes, output_units, **_):
    """Classification (`num_classes`) or regression (`output_units`), not both."""
    if num_classes is not None and output_units is not None:
        raise Invalid(
            "must be None when `num_classes` is given: pass `num_classes` for a classifier or "
            "`output_units` for a regression",
            argument="output_units",
        )


def _regression_output_is_linear(num_classes, classifier_activation, **_):
    if num_classes is None and classifier_activation not in (None, "softmax"):
        raise Invalid(
            "applies to classifiers (pass `num_classes`); a regression's output is linear",
            argument="classifier_activation",
        )


def _build_recurrent(
    kind,
    input_shape,
    num_classes,
    output_units,
    units,
    bidirectional,
    return_sequences,
    activation,
    kernel_initializer,
    recurrent_initializer,
    bias_initializer,
    dropout,
    recurrent_dropout,
    l1,
    l2,
    classifier_activation,
    name,
):
    inputs = keras.Input(input_shape, name="input")
    x = inputs
    for index, width in enumerate(units, start=1):
        layer_name = f"{kind}_{index}"
        layer = _LAYERS[kind](
            width,
            activation=activation,
            recurrent_initializer=_blocks.initializer(recurrent_initializer),
            recurrent_regularizer=_blocks.regularizer(l1, l2),
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            return_sequences=return_sequences or index < len(units),
            name=layer_name,
            **_blocks.weights(kernel_initializer, l1, l2, bias_initializer),
        )
        if bidirectional:
            layer = layers.Bidirectional(layer, name=layer_name)
        x = layer(x)

    if num_classes is not None:
        outputs = _blocks.classifier_head(
            x, num_classes, classifier_activation, kernel_initializer, l1, l2
        )
    else:
        outputs = layers.Dense(
            output_units or 1, dtype="float32", name="output",
            **_blocks.weights(kernel_initializer, l1, l2),
        )(x)
    return keras.Model(inputs, outputs, name=name)


_ARGS_DOC = """
    Args:
        input_shape: `(timesteps, features)`; timesteps may be None for sequences of any length.
        num_classes: number of classes for a classifier (1 gives a single sigmoid unit), or None
            for a regression.
        output_units: number of linear outputs of a regression (default 1); only with
            `num_classes=None`.
        units: state size of each stacked recurrent layer, bottom first (an int gives one layer).
        bidirectional: wrap each layer in `keras.layers.Bidirectional` (outputs concatenated).
        return_sequences: predict at every step, `(batch, timesteps, outputs)`, instead of
            from the last step only, `(batch, outputs)`.
        activation: the recurrent activation of the state (`"tanh"`); any Keras activation name.
        kernel_initializer: Keras initializer (name, config or instance) of the input kernels
            and of the output layer.
        recurrent_initializer: initializer of the recurrent kernels (`"orthogonal"`, Saxe et
            al. 2014; `"identity"` with ReLU gives the IRNN of Le et al. 2015).
        bias_initializer: initializer of the recurrent layers' biases.
        dropout: dropout rate on each recurrent layer's inputs.
        recurrent_dropout: dropout rate on the recurrent state (Gal and Ghahramani, 2016).
        l1: L1 penalty factor on every kernel (input and recurrent).
        l2: L2 penalty factor on every kernel (input and recurrent).
        classifier_activation: activation of a classifier's `output` layer: `"softmax"` (a
            sigmoid when `num_classes=1`), any Keras activation name, or None for logits.
            A regression's output is linear: only the default or None are accepted there.
        name: the model's name.

    Returns:
        An uncompiled functional `keras.Model`.
"""


def _recurrent_builder(kind, title, default_units):
    @validate_arguments(_CONSTRAINTS, rules=(_one_head, _regression_output_is_linear))
    def builder(
        input_shape=(50, 2),
        num_classes=None,
        output_units=None,
        units=default_units,
        bidirectional=False,
        return_sequences=False,
        activation="tanh",
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        dropout=0.0,
        recurrent_dropout=0.0,
        l1=0.0,
        l2=0.0,
        classifier_activation="softmax",
        name=kind,
    ):
        return _build_recurrent(
            kind, input_shape, num_classes, output_units, units, bidirectional, return_sequences,
            activation, kernel_initializer, recurrent_initializer, bias_initializer, dropout,
            recurrent_dropout, l1, l2, classifier_activation, name,
        )

    builder.__name__ = builder.__qualname__ = f"build_{kind}"
    builder.__doc__ = (
        f"Builds a stacked {title} network for sequence classification or regression.\n"
        f"{_ARGS_DOC}\n"
        "    Example:\n\n"
        f"    >>> build_{kind}(input_shape=(20, 1), num_classes=4).output_shape\n"
        "    (None, 4)\n"
    )
    builder.__module__ = __name__
    return register_model(kind, task="sequence", small_kwargs=_SMALL)(builder)


build_rnn = _recurrent_builder("rnn", "simple (Elman) RNN", (32,))
build_lstm = _recurrent_builder("lstm", "LSTM (Hochreiter and Schmidhuber, 1997)", (32,))
build_gru = _recurrent_builder("gru", "GRU (Cho et al., 2014)", (32,))
