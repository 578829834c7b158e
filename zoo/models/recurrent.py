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

import numbers

import keras
from keras import layers

from zoo import _validation
from zoo.models import _blocks
from zoo.registry import register_model

_LAYERS = {"rnn": layers.SimpleRNN, "lstm": layers.LSTM, "gru": layers.GRU}
_SMALL = {"input_shape": (5, 3), "num_classes": 3, "units": (4,)}


def _check_sequence_shape(input_shape):
    """Checks `(timesteps, features)`; timesteps may be None (sequences of any length)."""
    if isinstance(input_shape, (str, bytes)) or not isinstance(input_shape, (list, tuple)):
        raise TypeError(
            f"`input_shape` must be a tuple (timesteps, features). Received: input_shape={input_shape!r}"
        )
    if len(input_shape) != 2:
        raise ValueError(
            "`input_shape` must have 2 dimensions, (timesteps, features), without the batch axis. "
            f"Received: input_shape={input_shape!r}"
        )
    timesteps, features = input_shape
    if timesteps is not None:
        if not _is_int(timesteps):
            raise TypeError(
                "`input_shape` must hold integers (timesteps may be None). "
                f"Received: input_shape={input_shape!r}"
            )
        if timesteps < 1:
            raise ValueError(
                f"`input_shape` must have at least 1 timestep. Received: input_shape={input_shape!r}"
            )
        timesteps = int(timesteps)
    if not _is_int(features):
        raise TypeError(
            f"`input_shape` must hold an integer number of features. Received: input_shape={input_shape!r}"
        )
    if features < 1:
        raise ValueError(
            f"`input_shape` must have at least 1 feature. Received: input_shape={input_shape!r}"
        )
    return timesteps, int(features)


def _is_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_head(num_classes, output_units, classifier_activation):
    """Classification (`num_classes`) or regression (`output_units`), not both."""
    if num_classes is not None and output_units is not None:
        raise ValueError(
            "Pass `num_classes` for a classifier or `output_units` for a regression, not both. "
            f"Received: output_units={output_units!r}"
        )
    num_classes = _blocks.check_num_classes(num_classes, allow_none=True)
    if output_units is not None:
        output_units = _validation.check_int("output_units", output_units, minimum=1, maximum=100_000)
    classifier_activation = _blocks.check_classifier_activation(classifier_activation)
    if num_classes is None and classifier_activation not in (None, "softmax"):
        raise ValueError(
            "`classifier_activation` applies to classifiers (pass `num_classes`); a regression's "
            f"output is linear. Received: classifier_activation={classifier_activation!r}"
        )
    return num_classes, output_units, classifier_activation


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
    shape = _check_sequence_shape(input_shape)
    num_classes, output_units, classifier_activation = _check_head(
        num_classes, output_units, classifier_activation
    )
    units = _blocks.check_units("units", units, allow_empty=False, max_length=64)
    bidirectional = _validation.check_bool("bidirectional", bidirectional)
    return_sequences = _validation.check_bool("return_sequences", return_sequences)
    activation = _blocks.check_activation("activation", activation, allow_layers=False)
    if _blocks.width_factor(activation) != 1:
        raise ValueError(
            "`activation` must keep the width of the recurrent state (not glu). "
            f"Received: activation={activation!r}"
        )
    kernel_initializer = _blocks.check_initializer("kernel_initializer", kernel_initializer)
    recurrent_initializer = _blocks.check_initializer("recurrent_initializer", recurrent_initializer)
    bias_initializer = _blocks.check_initializer("bias_initializer", bias_initializer)
    dropout = _blocks.check_rate("dropout", dropout)
    recurrent_dropout = _blocks.check_rate("recurrent_dropout", recurrent_dropout)
    l1 = _blocks.check_penalty("l1", l1)
    l2 = _blocks.check_penalty("l2", l2)
    name = _blocks.check_name(name)

    inputs = keras.Input(shape, name="input")
    x = inputs
    for index, width in enumerate(units, start=1):
        layer_name = f"{kind}_{index}"
        layer = _LAYERS[kind](
            width,
            activation=activation,
            kernel_initializer=_blocks.initializer(kernel_initializer),
            recurrent_initializer=_blocks.initializer(recurrent_initializer),
            bias_initializer=_blocks.initializer(bias_initializer),
            kernel_regularizer=_blocks.regularizer(l1, l2),
            recurrent_regularizer=_blocks.regularizer(l1, l2),
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            return_sequences=return_sequences or index < len(units),
            name=layer_name,
        )
        if bidirectional:
            layer = layers.Bidirectional(layer, name=layer_name)
        x = layer(x)

    if num_classes is not None:
        outputs = _blocks.classifier_head(
            x, num_classes, classifier_activation, kernel_initializer, "zeros",
            _blocks.regularizer(l1, l2),
        )
    else:
        outputs = layers.Dense(
            output_units or 1,
            kernel_initializer=_blocks.initializer(kernel_initializer),
            kernel_regularizer=_blocks.regularizer(l1, l2),
            dtype="float32",
            name="output",
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
