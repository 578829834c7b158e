"""What a model's structure says before training: output activations against losses, and config.

`describe_model` reads a Keras model once into plain records (`OutputSetup`, `InputSetup`) that
the data checks of `diagnostics.setup_data` judge too; `check_model` judges the structure:

- `output_loss_mismatch`: an output activation that cannot work with its loss (a softmax over
  one unit, ReLU logits under a from_logits loss, a softmax applied to another softmax's
  outputs, whose loss then has a floor far above zero);
- `suspicious_config`: a learning rate outside its optimizer family's stable range, dropout
  above 0.5, Dense or Conv layers stacked with no nonlinearity between them, BatchNormalization
  layers that train although their base is called with `training=False`.

A functional graph's nodes are Layers or Operations (`keras.ops` calls: `abs(a - b)`, the
`!=` of a mask): Operations have no weights and are walked through.

Example:

>>> import keras
>>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="softmax",
...                                                                 name="out")])
>>> model.compile(optimizer="adam", loss="binary_crossentropy")
>>> [(f.kind, f.layer) for f in check_model(model)]
[('output_loss_mismatch', 'out')]
"""

import dataclasses
import functools

import keras
import numpy as np

from diagnostics.findings import NEEDS_CONSEQUENCE, Finding
from diagnostics.schedule import schedule_of
from zoo import losses as zoo_losses
from zoo import optimizers as zoo_optimizers
from zoo._keras_internals import all_layers, call_keywords, producing_layer

# -- thresholds ------------------------------------------------------------------------------------

# Loss floors below 0.1 nats (a probability of 0.9 at best) are left alone: relu6 into softmax
# over 10 classes caps at 0.98, which training hardly notices.
MIN_REPORTED_LOSS_FLOOR = 0.1
# Layers named in one message: the rest are counted ("and 12 more").
MAX_NAMED_LAYERS = 5
# Hinton et al. (2012) use 0.5 as the largest useful rate; above it most units are dropped and the
# network underfits.
MAX_DROPOUT = 0.5
# Dropout right on a model input: Srivastava et al. (2014) keep 80% of the inputs (a rate of 0.2)
# where they keep half of the hidden units. A row that loses most of its few features has little
# left to be classified by, and at inference every feature is present: the model meets rows
# unlike those it trained on. A hypothesis until the run shows it (`NEEDS_CONSEQUENCE`).
MAX_INPUT_DROPOUT = 0.2
# Stable learning rates per optimizer family (inclusive). Why each bound:
# SGD: a step is lr * gradient; beyond 1.0 even large-batch recipes diverge without LARS-style
# layer scaling, and below 1e-5 weights move by less than float32 noise over an epoch.
SGD_LR_RANGE = (1e-5, 1.0)
# Adam family and RMSprop: a step is about lr per weight whatever the gradient's scale, so above
# 0.05 one step moves a Glorot-initialised weight (|w| ~ 0.1) by half its size; 1e-2 is still a
# common, stable choice on small nets; below 1e-6 even fine-tuning stalls.
ADAPTIVE_LR_RANGE = (1e-6, 0.05)
# Lion's step is exactly lr per weight (a sign); its authors use 3-10x smaller rates than Adam's.
LION_LR_RANGE = (1e-7, 0.01)
# Adagrad's steps shrink as squared gradients accumulate, so it tolerates rates up to about 1.
ADAGRAD_LR_RANGE = (1e-5, 1.0)
# Adadelta's own paper uses 1.0; it divides by running RMS values, so up to 10 stays stable.
ADADELTA_LR_RANGE = (1e-4, 10.0)

# Under SGD a clipped step moves a weight by at most learning_rate x clipvalue (the whole variable by
# learning_rate x clipnorm): below 1e-6 a weight of size 0.1 needs 1e5 steps to move by its own size,
# and the loss stays where it started. (Adaptive optimizers divide the clipped gradient by its own
# scale, so clipping does not shrink their steps.)
MIN_CLIPPED_STEP = 1e-6
# An adaptive optimizer's epsilon at or above this outweighs the root-mean-square gradient of most
# weights (1e-4 to 1e-2): its step is then learning_rate x gradient / epsilon, not adaptive at all.
MAX_ADAPTIVE_EPSILON = 1e-2
# Decoupled weight decay (`weight_decay` of Keras' optimizers) takes learning_rate x weight_decay x w
# off each weight per step; an adaptive step is at most about learning_rate, so the data can hold a
# weight only up to about 1 / weight_decay. A cap under twice the initial kernels' RMS leaves the
# weights no room to grow past where they started (a trained layer's kernels end larger than drawn).
MIN_DECAY_BOUND_SHARE = 2.0
# A layer under a quarter of the output's width on the only path to it caps the fit: a one-unit
# code cannot carry 64 pixels, while a 16-unit one (a quarter) reconstructs digits well.
BOTTLENECK_SHARE = 4
# A class output reads its classes off a few numbers well (a language model ranks 10,000 words from
# 256), so only a code of one or two units caps a classifier.
MAX_CLASS_BOTTLENECK = 2
# Label smoothing of 0.5 or more leaves the true class at most half of the target's mass (with 10
# classes the best possible loss is then 73% of guessing's); Szegedy et al. (2016) used 0.1.
MAX_LABEL_SMOOTHING = 0.5
TRANSPOSED = (keras.layers.Conv1DTranspose, keras.layers.Conv2DTranspose, keras.layers.Conv3DTranspose)
# Layers that change values at random in training only.
TRAINING_NOISE = (keras.layers.Dropout, keras.layers.SpatialDropout1D, keras.layers.SpatialDropout2D,
                  keras.layers.SpatialDropout3D, keras.layers.GaussianDropout, keras.layers.GaussianNoise,
                  keras.layers.AlphaDropout)
# Keras' AdamW default: the decay a remedy goes back to.
DEFAULT_WEIGHT_DECAY = 0.004
# Optimizers whose step is normalized to about the learning rate whatever the gradient's size
# (Adadelta and Adafactor divide by running roots of squared gradients, as Adam does).
ADAPTIVE_STEP_OPTIMIZERS = ("Adam", "AdamW", "Adamax", "Nadam", "RMSprop", "Adagrad", "Adadelta", "Adafactor",
                            "Lion", "AdaBelief", "RAdam", "Yogi")
CLIP_ARGUMENTS = ("clipvalue", "clipnorm", "global_clipnorm")

_OPTIMIZER_FAMILIES = (
    ((keras.optimizers.SGD,), "SGD", SGD_LR_RANGE),
    ((keras.optimizers.Lion,), "Lion", LION_LR_RANGE),
    ((keras.optimizers.Adagrad,), "Adagrad", ADAGRAD_LR_RANGE),
    ((keras.optimizers.Adadelta,), "Adadelta", ADADELTA_LR_RANGE),
    (
        (keras.optimizers.Adam, keras.optimizers.Adamax, keras.optimizers.Nadam,
         keras.optimizers.RMSprop, zoo_optimizers.AdaBelief, zoo_optimizers.RAdam,
         zoo_optimizers.Yogi),
        "Adam-family",
        ADAPTIVE_LR_RANGE,
    ),
)

# -- what layers do --------------------------------------------------------------------------------

LINEAR_MAPS = (
    keras.layers.Dense, keras.layers.EinsumDense, keras.layers.Conv1D, keras.layers.Conv2D,
    keras.layers.Conv3D, keras.layers.Conv1DTranspose, keras.layers.Conv2DTranspose,
    keras.layers.Conv3DTranspose, keras.layers.SeparableConv1D, keras.layers.SeparableConv2D,
    keras.layers.DepthwiseConv1D, keras.layers.DepthwiseConv2D,
)
# Layers that are linear and keep no nonlinearity: a linear map through them stays linear.
PASS_THROUGH = (
    keras.layers.Dropout, keras.layers.SpatialDropout1D, keras.layers.SpatialDropout2D,
    keras.layers.SpatialDropout3D, keras.layers.GaussianDropout, keras.layers.GaussianNoise,
    keras.layers.AlphaDropout, keras.layers.Flatten, keras.layers.Reshape, keras.layers.Permute,
    keras.layers.RepeatVector, keras.layers.Identity, keras.layers.ZeroPadding1D,
    keras.layers.ZeroPadding2D, keras.layers.ZeroPadding3D, keras.layers.Cropping1D,
    keras.layers.Cropping2D, keras.layers.Cropping3D, keras.layers.AveragePooling1D,
    keras.layers.AveragePooling2D, keras.layers.AveragePooling3D,
    keras.layers.GlobalAveragePooling1D, keras.layers.GlobalAveragePooling2D,
    keras.layers.GlobalAveragePooling3D, keras.layers.ActivityRegularization,
)
NORMALIZERS = (
    keras.layers.Rescaling, keras.layers.Normalization, keras.layers.BatchNormalization,
    keras.layers.LayerNormalization, keras.layers.GroupNormalization,
)
_ACTIVATION_LAYERS = {
    keras.layers.Softmax: "softmax", keras.layers.ReLU: "relu", keras.layers.LeakyReLU: "leaky_relu",
    keras.layers.ELU: "elu", keras.layers.PReLU: "prelu",
}
# The activation each `keras.ops` Operation applies, by its class (an Operation in a functional
# graph is no Layer and has no `activation`).
_OPERATION_ACTIVATIONS = {
    "Softmax": "softmax", "LogSoftmax": "log_softmax", "Sigmoid": "sigmoid",
    "HardSigmoid": "hard_sigmoid", "Relu": "relu", "ReLU": "relu", "Relu6": "relu6",
    "Tanh": "tanh", "Softplus": "softplus", "Softsign": "softsign", "Exp": "exponential",
}
# TensorFlow's activation functions whose `__name__` is not the Keras name.
_ACTIVATION_ALIASES = {"softmax_v2": "softmax", "log_softmax_v2": "log_softmax",
                       "exp": "exponential", "swish": "silu"}
# Activations that zero a logit and its gradient below 0: under a from_logits loss such a logit
# unit dies (its class is never predicted) once its input is negative for every example.
RECTIFIED_LOGITS = ("relu", "relu6")
# Activations whose outputs are probabilities, as a from_logits=False cross-entropy expects.
PROBABILITY_ACTIVATIONS = ("softmax", "sigmoid", "hard_sigmoid")
# The closed range of each bounded activation (unbounded ones are left out).
ACTIVATION_RANGES = {
    "softmax": (0.0, 1.0), "sigmoid": (0.0, 1.0), "hard_sigmoid": (0.0, 1.0),
    "tanh": (-1.0, 1.0), "softsign": (-1.0, 1.0), "relu": (0.0, np.inf),
    "softplus": (0.0, np.inf), "exponential": (0.0, np.inf), "relu6": (0.0, 6.0),
}

# -- losses ----------------------------------------------------------------------------------------

# Losses that take the log of the predictions unguarded (Keras' Poisson: y_pred - y log(y_pred + eps)),
# and the output activations that keep predictions above zero.
POSITIVE_PREDICTION_LOSSES = ("poisson",)
POSITIVE_ACTIVATIONS = ("exponential", "softplus", "relu", "sigmoid", "softmax", "hard_sigmoid", "relu6")

CROSS_ENTROPIES = ("categorical", "sparse", "binary")
_LOSS_FAMILIES = {
    "categorical_crossentropy": "categorical", "categorical_focal_crossentropy": "categorical",
    "sparse_categorical_crossentropy": "sparse", "binary_crossentropy": "binary",
    "binary_focal_crossentropy": "binary", "mean_squared_error": "regression",
    "mean_absolute_error": "regression", "mean_squared_logarithmic_error": "regression",
    "mean_absolute_percentage_error": "regression", "huber": "regression",
    "log_cosh": "regression",
}
_LOSS_CLASSES = (
    (keras.losses.SparseCategoricalCrossentropy, "sparse"),
    (keras.losses.CategoricalFocalCrossentropy, "categorical"),
    (keras.losses.CategoricalCrossentropy, "categorical"),
    (keras.losses.BinaryFocalCrossentropy, "binary"),
    (keras.losses.BinaryCrossentropy, "binary"),
    ((keras.losses.MeanSquaredError, keras.losses.MeanAbsoluteError, keras.losses.Huber,
      keras.losses.LogCosh, keras.losses.MeanSquaredLogarithmicError,
      keras.losses.MeanAbsolutePercentageError), "regression"),
)


# Losses that take logits and no from_logits argument; their labels may be ids or one-hot rows.
_LOGIT_LOSSES = (zoo_losses.LogitAdjustedLoss, zoo_losses.LDAMLoss)


@dataclasses.dataclass(frozen=True)
class LossSetup:
    """A loss as the checks see it.

    Attributes:
        name: how to name it in a message (`"categorical_crossentropy"`).
        family: `"categorical"`, `"sparse"`, `"binary"` (cross-entropies), `"regression"`, or
            None for a loss the checks do not judge.
        from_logits: whether the loss expects logits.
    """

    name: str
    family: "str | None"
    from_logits: bool


@dataclasses.dataclass(frozen=True)
class OutputSetup:
    """One model output: the layer that sets its activation, the activation, units, loss.

    Attributes:
        logit_activation: when the output activation is applied by a layer of its own (an
            `Activation` or `Softmax` layer, a `keras.ops` call) to another layer's activated
            outputs, that activation (`"softmax"` for a softmax applied twice); else None.
        rescaling: `(scale, offset)` when a `Rescaling` layer makes the output (the model
            predicts `z * scale + offset` from its layers' `z`); else ().
        shape: the output's shape per row (None where unknown); () when the graph is not known.
    """

    name: str
    layer: "str | None"
    activation: "str | None"
    units: "int | None"
    loss: "LossSetup | None"
    logit_activation: "str | None" = None
    rescaling: tuple = ()
    shape: tuple = ()


@dataclasses.dataclass(frozen=True)
class InputSetup:
    """One model input and what the model does with it first.

    Attributes:
        name: the input's name.
        treatment: `"normalized"` (a normalization layer comes first), `"tokens"` (an
            `Embedding` comes first) or `"raw"`.
        first_activations: the activations of the first layers with weights that read it
            (`("relu",)`), where known.
        rescaling: `(scale, offset)` when a `Rescaling` layer comes first (the same one for
            every reader): what the first weighted layer sees is `x * scale + offset`; else ().
        noise: `(layer name, stddev)` of the `GaussianNoise` added to the raw values during
            training (the largest, if several), else ().
        unadapted: the name of a `Normalization` layer on the way that was never adapted
            (`is_unadapted`: it passes the raw values on), else "".
    """

    name: str
    treatment: str
    first_activations: tuple = ()
    rescaling: tuple = ()
    noise: tuple = ()
    unadapted: str = ""


def describe_loss(loss):
    """The `LossSetup` of a Keras loss: a name, a function or a `keras.losses.Loss`; None for None."""
    if loss is None:
        return None
    if isinstance(loss, str):
        try:
            loss = keras.losses.get(loss)
        except ValueError:
            return LossSetup(loss, None, False)
    if isinstance(loss, _LOGIT_LOSSES):
        return LossSetup(loss.name, None, True)
    if isinstance(loss, keras.losses.Loss):
        config = loss.get_config()
        family = next((fam for classes, fam in _LOSS_CLASSES if isinstance(loss, classes)), None)
        return LossSetup(config.get("name") or type(loss).__name__, family,
                         bool(config.get("from_logits", False)))
    name = getattr(loss, "__name__", type(loss).__name__)
    return LossSetup(name, _LOSS_FAMILIES.get(name), False)


def describe_model(model):
    """Reads `model` into `(inputs, outputs)`: lists of `InputSetup` and `OutputSetup`.

    Args:
        model: a `keras.Model`, compiled or not. A subclassed model has no graph to read: its
            inputs count as raw and its outputs are left out.

    Returns:
        `(inputs, outputs)`.
    """
    losses = _losses_by_output(model)
    if isinstance(model, keras.Sequential) and not model.built:
        layers = all_layers(model)
        first = _first_significant(layers)
        leading = layers[:layers.index(first)] if first else layers
        noise = max(((layer.name, float(layer.stddev)) for layer in leading
                     if isinstance(layer, keras.layers.GaussianNoise)), key=lambda pair: pair[1], default=())
        inputs = [InputSetup("input", _treatment([first] if first else []),
                             _activations([first] if first else []), _rescaling([first] if first else []), noise)]
        head = next((layer for layer in reversed(layers) if not isinstance(layer, PASS_THROUGH)),
                    None)
        if head is None:
            return inputs, []
        units = getattr(head, "units", None) or getattr(head, "filters", None)
        return inputs, [OutputSetup(head.name, head.name, _activation_name(head), units,
                                    describe_loss(losses[0]))]
    try:
        input_tensors, output_tensors = list(model.inputs), list(model.outputs)
    except (AttributeError, ValueError):
        return [InputSetup("input", "raw")], []
    consumers, noise = _raw_readers(model, _is_significant), _input_noise(model)
    unadapted = _raw_readers(model, is_unadapted)
    inputs = [
        InputSetup(producing_layer(tensor).name,
                   _treatment(consumers.get(id(producing_layer(tensor)), [])),
                   _activations(consumers.get(id(producing_layer(tensor)), [])),
                   _rescaling(consumers.get(id(producing_layer(tensor)), [])),
                   noise.get(id(producing_layer(tensor)), ()),
                   unadapted[id(producing_layer(tensor))][0].name if id(producing_layer(tensor)) in unadapted else "")
        for tensor in input_tensors
    ]
    outputs = []
    for index, tensor in enumerate(output_tensors):
        layer = _activation_source(producing_layer(tensor))
        outputs.append(OutputSetup(
            _output_names(model, len(output_tensors))[index],
            None if layer is None else layer.name,
            None if layer is None else _activation_name(layer),
            tensor.shape[-1],
            describe_loss(losses[index]),
            _logit_activation(layer),
            _rescaling([producing_layer(tensor)]),
            tuple(tensor.shape[1:]),
        ))
    return inputs, outputs


# A max-norm cap under a tenth of a layer's initial unit norms (Glorot's are about 1) shrinks every
# unit's weights tenfold at the first step and keeps them there: the signal shrinks by that factor
# or more per layer. Srivastava et al. (2014) cap at 3-4, above the initial norms.
MIN_NORM_CAP_SHARE = 0.1
_NORM_CAPS = (keras.constraints.MaxNorm, keras.constraints.MinMaxNorm, keras.constraints.UnitNorm)


# Below a tenth of LeCun's scale (std(kernel) x sqrt(fan_in) = 1) each layer shrinks the signal
# 10-fold or more on the way forward and the gradient as much on the way back: a stack of them
# starts at the flat saddle around zero (stddev 1e-3 on 64 inputs reads 0.008). Glorot's own scale
# falls this low only for a layer 200 times wider than its input.
SMALL_KERNEL_SCALE = 0.1


def check_model(model):
    """Judges a model's outputs against its losses, its optimizer and its layers.

    Args:
        model: a `keras.Model`, compiled (losses and optimizer are judged) or not.

    Returns:
        A list of `Finding`s of kinds `output_loss_mismatch` and `suspicious_config`, epoch 0.

    Example:

    >>> import keras
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dropout(0.8, name="drop"),
    ...                           keras.layers.Dense(3, activation="softmax")])
    >>> [(f.kind, f.layer) for f in check_model(model)]
    [('suspicious_config', 'drop')]
    """
    _, outputs = describe_model(model)
    findings = [f for output in outputs for f in _check_output(output)]
    optimizer = innermost_optimizer(getattr(model, "optimizer", None))
    findings += _check_learning_rate(optimizer)
    findings += _check_clipping(optimizer)
    findings += _check_epsilon(optimizer)
    findings += _check_weight_decay(optimizer, model)
    findings += _check_dropout(model)
    findings += _check_stacked_linear(model)
    findings += _check_bottleneck(model, outputs)
    findings += _check_skipping_strides(model)
    findings += _check_noise_after_output(model)
    findings += _check_label_smoothing(model, outputs)
    findings += _check_unfrozen_batchnorm(model)
    findings += _check_small_kernels(model, {output.layer for output in outputs})
    findings += _check_symmetric_start(model)
    findings += _check_dead_start(model)
    findings += _check_norm_caps(model)
    findings += _check_loss_weights(model, [output.name for output in outputs])
    findings += _check_softmax_axis(model, {output.layer for output in outputs})
    findings += _check_loss_reduction(model)
    return findings


# -- output against loss ---------------------------------------------------------------------------


def _check_output(output):
    activation, units, loss = output.activation, output.units, output.loss
    where = f"output layer {output.layer!r}"
    if output.name != output.layer:
        where = f"output {output.name!r} (layer {output.layer!r})"
    if activation == "softmax" and units == 1:
        return [_mismatch(
            output, "error",
            f"{where} applies softmax to a single unit: it outputs 1.0 for every example "
            "whatever the weights, so predictions carry no information and no gradient flows "
            "through it.",
            {"softmax_units": 1},
            ["For two classes use one sigmoid unit with binary cross-entropy.",
             "Or use 2 softmax units with sparse categorical cross-entropy."],
        )]
    bounded = _bounded_logits(output, where)
    if bounded:
        return bounded
    if loss is None or activation is None:
        return []
    if loss.family in ("categorical", "sparse") and units == 1:
        return [_mismatch(
            output, "error",
            f"{where} has one unit but the loss is {loss.name}, a cross-entropy over classes: "
            "with a single class it reads 0 whatever the weights, so nothing is learned, and "
            "Keras takes its gradient from the logit (softmax minus label), which pushes that "
            "output without end and drags the layers below it.",
            {"class_loss_units": 1},
            ["For two classes use binary cross-entropy on one sigmoid unit.",
             "Or give the output one unit per class, with softmax."],
        )]
    if loss.name in POSITIVE_PREDICTION_LOSSES and activation not in POSITIVE_ACTIVATIONS:
        return [_mismatch(
            output, "error",
            f"{where} is {activation} but {loss.name} takes the log of the predictions: any output of zero or "
            "below makes the loss NaN, and a linear output starts with half of them there.",
            {"unbounded_rate_output": activation},
            ["Make the outputs positive: activation='exponential' (a log link) or 'softplus'."],
        )]
    if loss.from_logits and activation in PROBABILITY_ACTIVATIONS:
        again = "sigmoid" if loss.family == "binary" else "softmax"
        evidence = {"probability_output_units": units}
        floor = _loss_floor(again, units, *ACTIVATION_RANGES[activation])
        if floor is not None:
            evidence["loss_floor"] = floor
        return [_mismatch(
            output, "warning",
            f"{where} outputs probabilities ({activation}) but {loss.name} takes logits and "
            f"applies {again} again: gradients shrink and training is slow"
            + ("." if floor is None else f", and the loss cannot fall below {floor:.3g} even "
               "when every example is classified right."),
            evidence,
            ["Remove the output activation (use logits), keeping the loss.",
             "Or use a loss that takes probabilities (from_logits=False)."],
        )]
    if loss.from_logits and activation in RECTIFIED_LOGITS:
        return [_mismatch(
            output, "error",
            f"{where} passes its logits through {activation} but {loss.name} takes logits "
            "(from_logits=True): no logit can go below 0, and a unit whose input is negative "
            "for every example outputs 0 with zero gradient, so it stays dead and its class "
            "is never learned.",
            {"relu_logit_units": units},
            ["Remove the output activation: logits are linear (activation=None).",
             "Keep ReLU for hidden layers only."],
        )]
    if loss.from_logits or loss.family not in CROSS_ENTROPIES:
        return []
    if activation not in PROBABILITY_ACTIVATIONS and activation in _NON_PROBABILITY_MESSAGES:
        return [_mismatch(
            output, "error",
            f"{where} {_NON_PROBABILITY_MESSAGES[activation]} but {loss.name} has "
            "from_logits=False and takes them as probabilities: their logarithm turns NaN or "
            "the loss is clipped flat.",
            {f"{activation}_output_units": units},
            ["Pass from_logits=True to the loss and keep the output linear.",
             f"Or use a {'sigmoid' if loss.family == 'binary' else 'softmax'} output activation."],
        )]
    if activation == "sigmoid" and loss.family in ("categorical", "sparse"):
        return [_mismatch(
            output, "warning",
            f"{where} uses sigmoid over {units} classes with {loss.name}: the units do not "
            "compete and their sum is not 1, so the loss does not measure the class probability.",
            {"sigmoid_units": units},
            ["Use a softmax output for one class per example.",
             "For several labels per example use binary cross-entropy with the sigmoid."],
        )]
    if activation == "softmax" and loss.family == "binary" and units > 1:
        return [_mismatch(
            output, "warning",
            f"{where} uses softmax with {loss.name}: softmax makes the {units} classes compete, "
            "but binary cross-entropy scores each as its own yes/no label (multi-label).",
            {"softmax_units": units},
            ["For multi-label targets use a sigmoid output.",
             "For one class per example use categorical cross-entropy."],
        )]
    return []


# An output that is not a probability, by what it is instead.
_NON_PROBABILITY_MESSAGES = {
    "linear": "outputs logits (a linear activation)",
    "relu": "outputs ReLU values (zero or any positive number, not probabilities)",
    "leaky_relu": "outputs leaky-ReLU values (any real number)",
    "elu": "outputs ELU values (from -1 to any positive number)",
    "selu": "outputs SELU values (any real number above -1.76)",
    "tanh": "outputs tanh values (from -1 to 1)",
    "softplus": "outputs softplus values (any positive number)",
    "exponential": "outputs exponentials (any positive number)",
    "prelu": "outputs PReLU values (any real number)",
}


def _bounded_logits(output, where):
    """A finding when a softmax or sigmoid output takes another bounded activation's outputs
    (a softmax applied twice), whose loss then cannot approach zero; else []."""
    activation, inner = output.activation, output.logit_activation
    if activation not in ("softmax", "sigmoid") or inner not in ACTIVATION_RANGES:
        return []
    low, high = ACTIVATION_RANGES[inner]
    floor = _loss_floor(activation, output.units, low, high)
    if floor is None or floor < MIN_REPORTED_LOSS_FLOOR:
        return []
    return [_mismatch(
        output, "error",
        f"{where} applies {activation} to {inner} outputs, which lie in [{low:g}, {high:g}]: "
        f"its outputs never get near 0 or 1, so the loss stays above {floor:.3g} even when "
        "every example is classified right, and the gradients that remain are small.",
        {"bounded_logit_units": output.units, "loss_floor": floor},
        [f"Apply {activation} once: remove the {inner} before it (the layer before gives "
         "logits, activation=None).",
         "Or drop the output activation and pass from_logits=True to the loss."],
    )]


def _loss_floor(activation, units, low, high):
    """The smallest cross-entropy that an example of the hardest class can reach when
    `activation` (softmax over `units` units, or sigmoid) takes inputs in [low, high]; None
    when unknown or unbounded."""
    if not (np.isfinite(low) and np.isfinite(high)):
        return None
    if activation == "softmax":
        if not units or units < 2:
            return None
        # The true class at `high`, every other at `low`.
        return float(np.log1p((units - 1) * np.exp(low - high)))
    # A positive at most sigmoid(high), a negative at least sigmoid(low).
    return float(max(np.log1p(np.exp(-high)), np.log1p(np.exp(low))))


def _mismatch(output, severity, message, evidence, advice):
    return Finding("output_loss_mismatch", severity, 0, output.layer, message, evidence, advice)


# -- configuration ---------------------------------------------------------------------------------


def innermost_optimizer(optimizer):
    """The optimizer that takes the steps: `optimizer` itself, or the one a wrapper (a
    `LossScaleOptimizer`, the zoo's wrappers) holds as `inner_optimizer`, however deep."""
    while getattr(optimizer, "inner_optimizer", None) is not None:
        optimizer = optimizer.inner_optimizer
    return optimizer


def _check_learning_rate(optimizer):
    """The optimizer's rate at the first step against its family's usual range. A schedule's rate
    there is judged only when too high: a warm-up starts low by design (`diagnostics.schedule`
    judges where a schedule goes over the run)."""
    family = next((entry for entry in _OPTIMIZER_FAMILIES if isinstance(optimizer, entry[0])), None)
    if family is None:
        return []
    _, family_name, (low, high) = family
    rate = float(np.asarray(optimizer.learning_rate))
    if np.float32(low) <= rate <= np.float32(high):  # the rate is a float32 variable
        return []
    if rate < low and schedule_of(optimizer) is not None:
        return []
    too_high = rate > high
    evidence = {"learning_rate": rate, ("stable_max" if too_high else "stable_min"): high if too_high else low}
    if too_high:
        message = (f"learning_rate={rate:.3g} of {type(optimizer).__name__} is above "
                   f"{high:g}, the largest rate at which {family_name} optimizers are usually "
                   "stable: expect the loss to oscillate or diverge.")
        advice = [f"Lower the learning rate to about {high / 10:g} or below.",
                  "Or warm it up from a small value with a schedule."]
    else:
        message = (f"learning_rate={rate:.3g} of {type(optimizer).__name__} is below {low:g}: "
                   f"{family_name} optimizers barely move the weights at such a rate, and the "
                   "loss plateaus.")
        advice = [f"Raise the learning rate to about {low * 100:g} or above."]
    return [Finding("suspicious_config", "warning", 0, None, message, evidence, advice)]


def _check_clipping(optimizer):
    """An SGD optimizer whose gradient clipping bounds every step below `MIN_CLIPPED_STEP`: a
    hypothesis about training (the weights barely move), so it stands only beside a stall it
    explains (`NEEDS_CONSEQUENCE`)."""
    if not isinstance(optimizer, keras.optimizers.SGD):
        return []
    rate = float(np.asarray(optimizer.learning_rate))
    clips = {name: getattr(optimizer, name, None) for name in CLIP_ARGUMENTS}
    clips = {name: float(value) for name, value in clips.items() if value is not None}
    if not clips:
        return []
    argument, clip = min(clips.items(), key=lambda item: item[1])
    step = rate * clip
    if step >= MIN_CLIPPED_STEP:
        return []
    return [Finding(
        "suspicious_config", "warning", 0, None,
        f"{argument}={clip:g} with learning_rate={rate:g}: SGD clips every gradient to {clip:g}, so a "
        f"step moves the weights by at most {step:.2g}; they barely change, and the loss stays where it "
        "started.",
        {"clipped_step": step, argument: clip, "learning_rate": rate, NEEDS_CONSEQUENCE: True},
        [f"Raise {argument} to 1.0 (clipping should only cut rare spikes), or drop it.",
         "Clip by the global norm instead (global_clipnorm=1.0), which keeps the step's direction."],
    )]


def _check_epsilon(optimizer):
    """An adaptive optimizer whose `epsilon` is `MAX_ADAPTIVE_EPSILON` or more: it outweighs the
    root-mean-square gradient of most weights, so each step becomes learning_rate x gradient /
    epsilon, plain SGD at a small rate. A hypothesis (a large rate can make up for it, as in the
    Inception recipes), so it stands only beside the stall it explains (`NEEDS_CONSEQUENCE`)."""
    epsilon = getattr(optimizer, "epsilon", None)
    if not isinstance(optimizer, keras.optimizers.Optimizer) or not isinstance(epsilon, (int, float)) \
            or epsilon < MAX_ADAPTIVE_EPSILON:
        return []
    name = type(optimizer).__name__
    try:
        rate = float(np.asarray(optimizer.learning_rate))
        effective = f", plain SGD at about {rate / epsilon:.2g}"
    except (TypeError, ValueError):  # a schedule
        rate, effective = None, ""
    return [Finding(
        "suspicious_config", "warning", 0, None,
        f"{name}(epsilon={epsilon:g}): an epsilon that large outweighs the root-mean-square gradient of "
        f"most weights (1e-4 to 1e-2), so each step is learning_rate x gradient / epsilon{effective}: "
        "the adaptive step is gone and the weights crawl.",
        {"adaptive_epsilon": float(epsilon), "learning_rate": rate, NEEDS_CONSEQUENCE: True},
        [f"Use {name}'s default epsilon (1e-7); tune the learning rate instead."],
    )]


def _check_weight_decay(optimizer, model):
    """A `suspicious_config` for an adaptive optimizer whose decoupled `weight_decay` caps the
    weights (about 1 / weight_decay) under `MIN_DECAY_BOUND_SHARE` x the RMS of the initial
    kernels: each step pulls every weight back toward zero as hard as the data can push it out, so
    the kernels shrink below their starting size and the model cannot fit. Withdrawn when the run
    trains well anyway (`judgement.BEHAVIOURAL_SETUP_KEYS`)."""
    decay = getattr(optimizer, "weight_decay", None)
    if type(optimizer).__name__ not in ADAPTIVE_STEP_OPTIMIZERS or not isinstance(decay, (int, float)) or decay <= 0:
        return []
    kernels = [layer.kernel for layer in all_layers(model)
               if isinstance(layer, LINEAR_MAPS) and getattr(layer, "kernel", None) is not None]
    spreads = [float(np.std(np.asarray(keras.ops.convert_to_numpy(kernel), dtype=np.float64))) for kernel in kernels]
    spreads = [spread for spread in spreads if spread > 0]
    if not spreads:
        return []
    kernel_rms, bound = float(np.median(spreads)), 1.0 / float(decay)
    if bound >= MIN_DECAY_BOUND_SHARE * kernel_rms:
        return []
    name = type(optimizer).__name__
    return [Finding(
        "suspicious_config", "warning", 0, None,
        f"{name}(weight_decay={decay:g}) takes learning_rate x {decay:g} x w off every weight at every step, "
        f"while an adaptive step moves a weight by about the learning rate: the data can hold a weight only "
        f"up to about {bound:.2g}, under twice the {kernel_rms:.2g} RMS the kernels start at, so they shrink "
        "and the model cannot fit.",
        {"weight_decay": float(decay), "decay_bound": bound, "kernel_rms": kernel_rms},
        [f"Use a weight decay in the usual range, 1e-4 to 1e-2 (AdamW's default is {DEFAULT_WEIGHT_DECAY:g})."],
    )]


def _check_dropout(model):
    findings = []
    layers = all_layers(model)
    # A Bidirectional layer's backward copy has the forward layer's rates: one finding for both.
    copies = {id(layer.backward_layer) for layer in layers
              if isinstance(layer, keras.layers.Bidirectional)}
    for layer in layers:
        if id(layer) in copies:
            continue
        if isinstance(layer, keras.layers.RNN):
            rates = {name: getattr(layer, name, None) for name in ("dropout", "recurrent_dropout")}
        elif "Dropout" in type(layer).__name__:
            rates = {"rate": getattr(layer, "rate", None)}
        else:
            continue
        if (type(layer) is keras.layers.Dropout and isinstance(rates["rate"], (int, float))
                and MAX_INPUT_DROPOUT < rates["rate"] <= MAX_DROPOUT and reads_model_input(model, layer)):
            rate = rates["rate"]
            findings.append(Finding(
                "suspicious_config", "warning", 0, layer.name,
                f"layer {layer.name!r} drops {rate:.0%} of the model's input features (rate={rate:g}): inputs "
                f"take {MAX_INPUT_DROPOUT:g} or less, since a row that loses its features has nothing left to "
                "learn from, and at inference every feature is there, unlike in training.",
                {"input_dropout": float(rate), "max_input_dropout": MAX_INPUT_DROPOUT, NEEDS_CONSEQUENCE: True},
                [f"Use a rate of {MAX_INPUT_DROPOUT:g} or less on the inputs (0.5 is for hidden layers)."]))
        for argument, rate in rates.items():
            if isinstance(rate, (int, float)) and rate > MAX_DROPOUT:
                findings.append(Finding(
                    "suspicious_config", "warning", 0, layer.name,
                    f"layer {layer.name!r} drops {rate:.0%} of its inputs ({argument}={rate:g}): "
                    f"above {MAX_DROPOUT:g}, too little signal gets through and the model underfits.",
                    {argument: float(rate), "max_dropout": MAX_DROPOUT},
                    [f"Use {argument} of {MAX_DROPOUT:g} or less (0.1-0.3 for conv layers).",
                     "Regularize with weight decay or more data instead."],
                ))
    return findings


def reads_model_input(model, layer):
    """Whether `layer` reads a model input directly (the first layer of a Sequential)."""
    if isinstance(model, keras.Sequential):
        return bool(model.layers) and model.layers[0] is layer
    try:
        inputs = {id(tensor) for tensor in keras.tree.flatten(model.inputs)}
        return any(id(tensor) in inputs for tensor in keras.tree.flatten(layer.input))
    except (AttributeError, ValueError):  # a subclassed model, or a layer shared between graphs
        return False


def check_batchnorm_batch_size(model, batch_size):
    """An error naming the trainable `BatchNormalization` layers of a model trained on batches of
    one row: a batch of one is its own mean, so each of them outputs its beta for every row, and
    no gradient reaches the layers below it (the derivative of the normalized value is exactly 0).

    Args:
        model: a `keras.Model`.
        batch_size: rows per training batch (all batches), or None if unknown.

    Returns:
        A list with at most one `suspicious_config` `Finding` (evidence `batchnorm_batch_size`,
        `batchnorm_layers`).

    Example:

    >>> import keras
    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8),
    ...                           keras.layers.BatchNormalization(name="bn"), keras.layers.Dense(2)])
    >>> [f.evidence["batchnorm_layers"] for f in check_batchnorm_batch_size(model, 1)]
    [['bn']]
    """
    if batch_size != 1:
        return []
    names = [layer.name for layer in all_layers(model)
             if isinstance(layer, keras.layers.BatchNormalization) and layer.trainable]
    return _on_layers(
        names, "error",
        "training runs on batches of one row through {count} BatchNormalization layer(s) ({shown}): a "
        "batch of one is its own mean, so each outputs its beta for every row, and no gradient reaches "
        "the layers below it.",
        {"batchnorm_batch_size": 1, "batchnorm_layers": names},
        ["Train on batches of 16 or more rows, or use LayerNormalization, which normalizes each row "
         "on its own."])


def _check_unfrozen_batchnorm(model):
    """Trainable BatchNormalization layers under a layer called with `training=False`.

    Calling a pretrained base with `training=False` is how one keeps its BatchNormalization
    layers in inference mode, but in Keras 3 `fit` passes `training=True` to every layer of a
    functional graph, over the recorded False. What keeps a BN layer in inference mode is
    `trainable=False`, and `base.trainable = True` (to fine-tune) sets that back to True: the
    layers then normalize with batch statistics and overwrite the moving ones the base learned.
    """
    layers = all_layers(model)
    if not any(isinstance(layer, keras.layers.BatchNormalization) for layer in layers):
        return []
    if not _training_false_is_overridden():
        return []
    unfrozen, bases = {}, []
    for layer in layers:
        if not any(call.get("training") is False for call in call_keywords(layer)):
            continue
        inside = [layer] + all_layers(layer)
        found = [each for each in inside if isinstance(each, keras.layers.BatchNormalization)
                 and each.trainable and id(each) not in unfrozen]
        if found:
            bases.append(layer)
            unfrozen.update((id(each), each) for each in found)
    if not unfrozen:
        return []
    names = [layer.name for layer in unfrozen.values()]
    shown = _layer_list(names)
    where = ", ".join(repr(base.name) for base in bases)
    return [Finding(
        "suspicious_config", "warning", 0, bases[0].name,
        f"{where} is called with training=False but holds {len(names)} trainable "
        f"BatchNormalization layer(s) ({shown}): Keras 3 trains them anyway (fit passes "
        "training=True to every layer; only trainable=False keeps a BN layer in inference "
        "mode). They normalize with batch statistics and overwrite the pretrained moving "
        "averages: the training loss jumps while the validation loss may still fall.",
        {"unfrozen_batchnorm_layers": len(names)},
        ["Keep the BatchNormalization layers frozen when fine-tuning: set trainable=False on "
         "each of them after base.trainable = True, then compile again.",
         "Keep calling the base with training=False (the keras.io transfer-learning guide)."],
    )]


@functools.cache
def _training_false_is_overridden():
    """Whether this Keras runs a layer called with `training=False` in a functional graph in
    training mode when the model is called with `training=True` (Keras 3.15 does): measured
    once, on a one-layer model without variables (safe in any distribution scope), so that a
    Keras that honours the call is not blamed."""
    # Named, so that the user's next layers keep the automatic names they would have had.
    inputs = keras.Input((1,), name="training_override_input")
    layer = _TrainingFlag(name="training_override_flag")
    model = keras.Model(inputs, layer(inputs, training=False), name="training_override")
    return bool(np.asarray(model(np.zeros((1, 1), dtype="float32"), training=True))[0, 0] == 1.0)


class _TrainingFlag(keras.layers.Layer):
    """Outputs its input plus 1 in training mode, plus 0 in inference mode."""

    def call(self, inputs, training=None):
        return inputs + (1.0 if training else 0.0)


def _check_small_kernels(model, output_layers):
    """A `suspicious_config` naming the hidden layers whose kernels were drawn near zero
    (`SMALL_KERNEL_SCALE`). Many runs recover from one small layer, so it stands only beside a
    consequence it explains (`NEEDS_CONSEQUENCE`: a stall, vanishing gradients, dead units)."""
    small = {}
    for layer in all_layers(model):
        kernel = getattr(layer, "kernel", None)
        if (kernel is None or layer.name in output_layers or isinstance(layer, keras.layers.RNN)
                or len(kernel.shape) < 2):
            continue
        values = np.asarray(keras.ops.convert_to_numpy(kernel), dtype=np.float64)
        if values.size < 2 or values.min() == values.max():  # a symmetric start is another fault
            continue
        scale = float(values.std() * np.sqrt(np.prod(values.shape[:-1])))
        if scale < SMALL_KERNEL_SCALE:
            small[layer.name] = scale
    names, scale = list(small), min(small.values(), default=0.0)
    return _on_layers(
        names, "warning",
        f"the kernels of {{count}} hidden layer(s) ({{shown}}) were drawn near zero: std(kernel) x "
        f"sqrt(fan_in) is {scale:.2g}, under a tenth of a variance-preserving initialization, so each "
        "layer shrinks the signal and its gradient many times over and the stack starts on the flat "
        "ground around zero.",
        {"small_kernel_scale": SMALL_KERNEL_SCALE, "kernel_scale": scale, "small_kernel_layers": names,
         NEEDS_CONSEQUENCE: True},
        ["Initialize with He (ReLU family) or Glorot (tanh, sigmoid) initialization, Keras' defaults.",
         "Add batch normalization, which rescales each layer's output whatever its weights."])


def _check_norm_caps(model):
    """A `suspicious_config` naming the layers whose kernel constraint caps each unit's weight
    norm under `MIN_NORM_CAP_SHARE` of its initial norms (`MaxNorm(0.01)`). Whether the shrunken
    layers can still fit depends on the task, so it stands only beside a consequence it explains
    (`NEEDS_CONSEQUENCE`: a stall, dead units, vanishing gradients)."""
    capped = {}
    for layer in all_layers(model):
        kernel, constraint = getattr(layer, "kernel", None), getattr(layer, "kernel_constraint", None)
        if kernel is None or not isinstance(constraint, _NORM_CAPS):
            continue
        cap = 1.0 if isinstance(constraint, keras.constraints.UnitNorm) else float(constraint.max_value)
        values = np.asarray(keras.ops.convert_to_numpy(kernel), dtype=np.float64)
        axis = tuple(constraint.axis) if isinstance(constraint.axis, (list, tuple)) else constraint.axis
        norms = np.sqrt(np.sum(values ** 2, axis=axis))  # a conv kernel's cap spans [0, 1, 2]
        initial = float(np.median(norms)) if norms.size else 0.0
        if initial > 0 and cap < MIN_NORM_CAP_SHARE * initial:
            capped[layer.name] = (cap, initial)
    if not capped:
        return []
    names = list(capped)
    cap, initial = capped[names[0]]
    return [Finding(
        "suspicious_config", "warning", 0, names[0],
        f"the kernel constraint of {len(names)} layer(s) ({_layer_list(names)}) caps each unit's weight "
        f"norm at {cap:g}, {cap / initial:.2g} of the {initial:.3g} it starts with: every unit is shrunk "
        "that much at the first step and kept there, so the signal fades layer by layer and the model "
        "cannot fit.",
        {"capped_unit_norm": cap, "initial_unit_norm": initial, "capped_layers": names,
         "min_norm_cap_share": MIN_NORM_CAP_SHARE, NEEDS_CONSEQUENCE: True},
        ["Remove the kernel constraint, or cap at 3 or more (keras.constraints.MaxNorm(3))."],
    )]


def _check_loss_reduction(model):
    """A loss that sums over the batch (`reduction="sum"`): the gradient, and a plain SGD step, grow
    with the batch size (32 rows: 32 times the mean's). A hypothesis (a rate tuned down for it
    trains), so it stands only beside the blow-up or swings it explains (`NEEDS_CONSEQUENCE`)."""
    loss = getattr(model, "loss", None)
    if not isinstance(loss, keras.losses.Loss) or getattr(loss, "reduction", None) != "sum":
        return []
    name = loss.get_config().get("name") or type(loss).__name__
    return [Finding(
        "suspicious_config", "warning", 0, None,
        f"the loss {name!r} sums over the batch (reduction='sum'): its gradient, and each SGD step, is the "
        "batch size times the mean's, so a learning rate that suits a mean loss overshoots.",
        {"loss_reduction": "sum", "loss_name": name, NEEDS_CONSEQUENCE: True},
        ["Use the default reduction ('sum_over_batch_size', the mean over the batch), or divide the "
         "learning rate by the batch size."],
    )]


def _check_softmax_axis(model, output_layers):
    """An error for each `Softmax` layer that normalizes over the batch axis (`axis=0`): every
    row's outputs then depend on the other rows of its batch, a single row's are all 1, and they
    are no per-row probabilities. On an output it is an `output_loss_mismatch` (a class loss
    wants per-row probabilities), elsewhere a `suspicious_config`."""
    findings = []
    for layer in all_layers(model):
        if not isinstance(layer, keras.layers.Softmax):
            continue
        try:
            rank = len(layer.output.shape)
        except (AttributeError, ValueError):
            continue
        axes = layer.axis if isinstance(layer.axis, (list, tuple)) else [layer.axis]
        if 0 not in [int(axis) % rank for axis in axes]:
            continue
        kind = "output_loss_mismatch" if layer.name in output_layers else "suspicious_config"
        findings.append(Finding(
            kind, "error", 0, layer.name,
            f"layer {layer.name!r} takes its softmax over axis {layer.axis}, the batch: each row's outputs "
            "depend on the other rows of its batch, a single row's are all 1.0, and they are no per-row "
            "class probabilities.",
            {"softmax_axis": layer.axis},
            ["Take the softmax over the classes: keras.layers.Softmax(axis=-1), or activation='softmax'."]))
    return findings


def _check_loss_weights(model, output_names):
    """A `suspicious_config` naming the outputs whose loss weight is 0 (or below): their loss
    never reaches the gradient, so their heads never train (and a negative weight trains them to
    be wrong)."""
    try:
        weights = (model.get_compile_config() or {}).get("loss_weights")
    except (AttributeError, ValueError, TypeError):  # not compiled, or compiled in a way Keras cannot say
        return []
    if isinstance(weights, dict):
        pairs = list(weights.items())
    elif isinstance(weights, (list, tuple)):
        pairs = list(zip(output_names or [f"output_{i}" for i in range(len(weights))], weights))
    else:
        return []
    off = [str(name) for name, weight in pairs if isinstance(weight, (int, float)) and weight <= 0]
    if not off:
        return []
    return [Finding(
        "suspicious_config", "error", 0, None,
        f"output(s) {', '.join(repr(name) for name in off)} have a loss weight of 0 or less in compile(loss_weights=...): "
        "their loss never reaches the gradient (or pushes the wrong way), so the layers only they use never train.",
        {"zero_loss_weight_outputs": off},
        ["Give every output you want trained a positive loss weight (1.0 is Keras' default)."],
    )]


def _check_symmetric_start(model):
    """A `suspicious_config` naming the hidden layers whose units start as copies of each other:
    every unit has the same incoming weights (a constant, non-zero kernel), and the layer they
    feed weighs them all alike (its kernel is constant too). Their outputs, and so the gradients
    they receive, are then equal: gradient descent keeps them equal (but for rounding), and the
    layer acts as one unit. An all-zero start is left to the saddle it sits on (`stall`), whose
    measured curvature names it. A run that trains well anyway withdraws it
    (`judgement.BEHAVIOURAL_SETUP_KEYS`): one unit per layer can be enough for an easy task."""
    layers = all_layers(model)
    predecessor = _predecessor_function(model, layers)
    symmetric = []
    for layer in layers:
        if not isinstance(layer, LINEAR_MAPS) or not _constant_kernel(layer):
            continue
        before = _first_before(layer, predecessor, PASS_THROUGH + (keras.layers.Activation,))
        if (isinstance(before, LINEAR_MAPS) and _constant_kernel(before)
                and int(before.kernel.shape[-1]) > 1 and before.name not in symmetric):
            symmetric.append(before.name)
    return _on_layers(
        symmetric, "warning",
        "the units of {count} hidden layer(s) ({shown}) start as exact copies: each has the same incoming "
        "weights (a constant initializer) and the next layer weighs them alike, so they compute the same "
        "output and get the same gradient, stay copies, and each layer acts as a single unit.",
        {"symmetric_init_layers": symmetric},
        ["Initialize the kernels randomly (Keras' defaults: glorot_uniform, or he_normal for ReLU), "
         "which breaks the symmetry."])


# Activations whose gradient at exactly 0 is 0 in TensorFlow (`tf.nn.relu` takes it from x > 0):
# a unit that outputs 0 for every input through one of them passes no gradient back.
FLAT_AT_ZERO = ("relu", "relu6")


def _check_dead_start(model):
    """A `suspicious_config` error naming the layers that start dead: an all-zero kernel and bias
    under a ReLU. Each unit then outputs exactly 0 for every input and the ReLU's gradient at 0 is
    0, so no step ever reaches the kernel or the bias: the layer stays zero for good, and so does
    what it feeds. This is a fact of the graph, not a hypothesis. (Under tanh or a linear map an
    all-zero stack sits on a saddle instead, which the stall's measured curvature names.)"""
    layers = all_layers(model)
    predecessor = _predecessor_function(model, layers)
    dead = [layer for layer in layers if isinstance(layer, LINEAR_MAPS) and _all_zero(layer)
            and _applied_activation(layer, layers, predecessor) in FLAT_AT_ZERO]
    evidence = {"dead_start_layers": [layer.name for layer in dead]}
    branch_ends = [layer.name for layer in dead if _feeds_sum(layer, layers)]
    if branch_ends:
        evidence["zero_branch_ends"] = branch_ends
    return _on_layers(
        evidence["dead_start_layers"], "error",
        "{count} layer(s) ({shown}) start with every weight and bias at zero under a ReLU: each unit "
        "outputs 0 for every input, and the ReLU's gradient at 0 is 0, so no step ever reaches these "
        "weights; they stay zero for good and the layers after them see nothing but zeros.",
        evidence,
        ["Initialize the kernels randomly (he_normal for ReLU layers; Keras' default glorot_uniform "
         "also works)."])


def _feeds_sum(layer, layers):
    """Whether `layer`'s output goes straight into an `Add` (the end of a residual branch, where a
    zero initialization makes the block start as the identity: the ReLU is what kills it)."""
    return any(isinstance(other, keras.layers.Add) and any(before is layer for before in _predecessors(other) or [])
               for other in layers)


def _all_zero(layer):
    """Whether `layer`'s kernel (and bias, if it has one) hold only zeros."""
    weights = [getattr(layer, name, None) for name in ("kernel", "bias")]
    if weights[0] is None:
        return False
    return all(not np.any(keras.ops.convert_to_numpy(w)) for w in weights if w is not None)


def _applied_activation(layer, layers, predecessor):
    """The activation applied to `layer`'s output: its own, or, when it has none, that of the one
    weightless layer that reads it (an `Activation` or `ReLU` layer after a linear map)."""
    name = _activation_name(layer)
    if name != "linear":
        return name
    readers = [other for other in layers if other is not layer and predecessor(other) is layer]
    if len(readers) != 1 or readers[0].weights:
        return name
    if isinstance(readers[0], keras.layers.ReLU) and (readers[0].negative_slope or readers[0].threshold):
        return "leaky_relu"  # a slope (or a shifted kink) below the threshold: not flat at 0
    return _activation_name(readers[0]) or name


def _constant_kernel(layer):
    """Whether `layer`'s kernel holds one value, not zero, in every entry."""
    kernel = getattr(layer, "kernel", None)
    if kernel is None or len(kernel.shape) < 2:
        return False
    values = np.asarray(keras.ops.convert_to_numpy(kernel))
    return bool(values.size > 1 and values.min() == values.max() and values.flat[0] != 0)


def _check_bottleneck(model, outputs):
    """A `suspicious_config` naming the narrowest layer on the only path to a single output when it
    has fewer than 1 / `BOTTLENECK_SHARE` of the output's units: every output value is then a
    function of those few numbers, which caps how well the model can fit (a one-unit code for 64
    pixels; for a class output, `MAX_CLASS_BOTTLENECK` units or fewer). Narrowing on purpose is
    common (autoencoders, embeddings), so it stands only beside the underfitting it explains
    (`NEEDS_CONSEQUENCE`)."""
    if len(outputs) != 1 or not outputs[0].units or outputs[0].layer is None:
        return []
    layers = all_layers(model)
    by_name = {layer.name: layer for layer in layers}
    predecessor = _predecessor_function(model, layers)
    before, widths = predecessor(by_name.get(outputs[0].layer)) if outputs[0].layer in by_name else None, {}
    while before is not None:
        if isinstance(getattr(before, "units", None), int):
            widths[before.name] = before.units
        before = predecessor(before)
    if not widths:
        return []
    name = min(widths, key=widths.get)
    units, width = int(outputs[0].units), widths[name]
    classes = outputs[0].loss is not None and outputs[0].loss.family in CROSS_ENTROPIES
    if width * BOTTLENECK_SHARE >= units or (classes and width > MAX_CLASS_BOTTLENECK):
        return []
    return [Finding(
        "suspicious_config", "warning", 0, name,
        f"layer {name!r} has {width} unit(s) on the only path to the output's {units}: every output is a "
        "function of those few numbers, which caps how well the model can fit.",
        {"bottleneck_units": width, "output_units": units, NEEDS_CONSEQUENCE: True},
        [f"Widen {name!r} (at least {-(-units // BOTTLENECK_SHARE)} units), or remove it."],
    )]


def _check_skipping_strides(model):
    """A `suspicious_config` naming the convolutions whose stride is larger than their kernel along
    some axis: the windows do not touch, and the input positions between them never reach the
    output (stride 8 with a 3x3 kernel reads 9 of every 64 pixels). It caps how well the model can
    fit, so underfitting beside it is judged from half of chance; a model that fits well anyway
    lost nothing it needed, so it stands only beside that underfitting (`NEEDS_CONSEQUENCE`)."""
    skipping = {}
    layers = all_layers(model)
    predecessor, readers = _predecessor_function(model, layers), _readers(model, layers)
    for layer in layers:
        strides, kernel = getattr(layer, "strides", None), getattr(layer, "kernel_size", None)
        # A transposed convolution's stride spreads its output, not its reading of the input.
        if not isinstance(layer, LINEAR_MAPS) or isinstance(layer, TRANSPOSED) or not strides or not kernel:
            continue
        # A strided 1x1 shortcut beside a block that reads every position (ResNet's) skips nothing.
        if len(readers.get(id(predecessor(layer)), ())) > 1:
            continue
        dilation = getattr(layer, "dilation_rate", None) or (1,) * len(kernel)
        reach = [(k - 1) * d + 1 for k, d in zip(kernel, dilation)]
        if any(s > r for s, r in zip(strides, reach)):
            read = float(np.prod([min(1.0, r / s) for s, r in zip(strides, reach)]))
            skipping[layer.name] = (tuple(strides), tuple(kernel), read)
    names = list(skipping)
    if not names:
        return []
    strides, kernel, read = skipping[names[0]]
    return _on_layers(
        names, "warning",
        f"{{count}} convolution(s) ({{shown}}) step further than they see: strides {strides} with a kernel of "
        f"{kernel}, so the windows do not touch and only {read:.0%} of the input positions ever reach the output.",
        {"skipped_share": 1.0 - read, "skipping_layers": names, NEEDS_CONSEQUENCE: True},
        ["Use strides no larger than the kernel (or pool after a stride-1 convolution)."])


def _check_noise_after_output(model):
    """An `output_loss_mismatch` error for a dropout or noise layer that makes a model output from a
    bounded activation (a softmax, a sigmoid): in training it zeroes or shifts the probabilities and
    rescales the rest, so the loss reads values outside the output's range (rows that do not sum to
    1), while validation reads them intact."""
    try:
        heads = [producing_layer(tensor) for tensor in model.outputs]
    except (AttributeError, ValueError):  # a Sequential not built, or a subclassed model
        heads = all_layers(model)[-1:]
    layers = all_layers(model)
    predecessor = _predecessor_function(model, layers)
    findings = []
    for head in heads:
        if not isinstance(head, TRAINING_NOISE):
            continue
        before = _first_before(head, predecessor, TRAINING_NOISE)
        activation = _activation_name(before) if before is not None else None
        if activation not in ACTIVATION_RANGES or activation in ("relu", "softplus", "exponential"):
            continue
        findings.append(Finding(
            "output_loss_mismatch", "error", 0, head.name,
            f"{type(head).__name__} {head.name!r} comes after the output's {activation}: in training it corrupts "
            f"the {activation}'s outputs (zeroing some, rescaling the rest out of their range), so the loss reads "
            "no probabilities, while validation reads them intact.",
            {"noise_after_output": head.name, "output_activation": activation},
            [f"Move {head.name!r} before the output layer."]))
    return findings


def _check_label_smoothing(model, outputs):
    """A `suspicious_config` for a cross-entropy whose `label_smoothing` is `MAX_LABEL_SMOOTHING` or
    more: the targets are mostly uniform, the best possible loss sits near guessing's, and the
    predicted probabilities are pulled toward uniform however well the model ranks the classes."""
    findings = []
    for loss, output in zip(_losses_by_output(model), outputs):
        units = output.units
        smoothing = getattr(loss, "label_smoothing", None)
        if not isinstance(smoothing, (int, float)) or smoothing < MAX_LABEL_SMOOTHING:
            continue
        classes = 2 if isinstance(loss, keras.losses.BinaryCrossentropy) or not units or units < 2 else int(units)
        top = 1.0 - smoothing + smoothing / classes
        findings.append(Finding(
            "suspicious_config", "warning", 0, None,
            f"label_smoothing={smoothing:g} in {type(loss).__name__}: the true class keeps only {top:.2f} of each "
            f"target (the other {classes - 1} class(es) {smoothing / classes:.2f} each), so the best possible loss "
            "is close to guessing's and the model's probabilities are pulled toward uniform.",
            {"label_smoothing": float(smoothing), "true_class_target": top},
            ["Use label_smoothing of 0.1 (or none)."]))
    return findings


def _check_stacked_linear(model):
    findings = []
    layers = all_layers(model)
    predecessor, readers = _predecessor_function(model, layers), _readers(model, layers)
    for layer in layers:
        if not isinstance(layer, LINEAR_MAPS):
            continue
        before = _first_before(layer, predecessor, PASS_THROUGH)
        # A linear output that also feeds a skip connection (a residual stem) is a design choice,
        # not a wasted layer: only a linear map read by nothing else collapses into the next one.
        if len(readers.get(id(before), ())) > 1:
            continue
        if isinstance(before, LINEAR_MAPS) and _activation_name(before) == "linear" and not _narrows(before, layer):
            findings.append(Finding(
                "suspicious_config", "warning", 0, before.name,
                f"layer {before.name!r} has a linear activation and feeds {layer.name!r} with no "
                "nonlinearity or normalization between them: the two collapse into one linear "
                "map, and the extra depth adds parameters but no capacity.",
                {"stacked_linear_layers": 2},
                [f"Give {before.name!r} an activation (activation='relu'), or add one after it.",
                 "Or merge the two layers into one."],
            ))
    return findings


def _first_before(layer, predecessor, passing):
    """The nearest layer before `layer` (through `predecessor`) that is not one of the `passing`
    classes, or None."""
    before = predecessor(layer)
    while before is not None and isinstance(before, passing):
        before = predecessor(before)
    return before


def _readers(model, layers):
    """`{id(layer): ids of the layers and Operations that read its output}` over the model's graph."""
    readers = {}
    for reader in _graph_nodes(model, layers):
        for source in _predecessors(reader) or []:
            readers.setdefault(id(source), set()).add(id(reader))
    return readers


def _narrows(code, reader):
    """Whether the linear layer `code` is narrower than both its input and the layer `reader` it
    feeds: a low-rank code on purpose (an autoencoder's, a linear bottleneck), not a wasted layer."""
    try:
        widths = (int(code.input.shape[-1]), int(code.units), int(reader.units))
    except (AttributeError, TypeError, ValueError):  # no units (a convolution), or not built
        return False
    return widths[1] < min(widths[0], widths[2])


# -- reading the graph -----------------------------------------------------------------------------


def _losses_by_output(model):
    """The user's loss for each output position (None where there is none)."""
    loss = getattr(model, "loss", None)
    try:
        count = len(model.outputs)
        names = _output_names(model, count)
    except (AttributeError, ValueError):
        count, names = 1, ["output"]
    if isinstance(loss, dict):
        return [loss.get(name) for name in names]
    if isinstance(loss, (list, tuple)):
        return [loss[i] if i < len(loss) else None for i in range(count)]
    return [loss] * count


def _output_names(model, count):
    names = getattr(model, "output_names", None)
    if names and len(names) == count:
        return list(names)
    return [producing_layer(tensor).name for tensor in model.outputs]


def _on_layers(names, severity, message, evidence, advice):
    """[] when no layer is named, else one `suspicious_config` finding at epoch 0 on the first of
    `names`; `message` may hold `{count}` and `{shown}` (the names' short list, `_layer_list`)."""
    if not names:
        return []
    return [Finding("suspicious_config", severity, 0, names[0],
                    message.format(count=len(names), shown=_layer_list(names)), evidence, advice)]


def _layer_list(names):
    """`names` for a message: the first `MAX_NAMED_LAYERS`, quoted, and how many more."""
    shown = ", ".join(repr(name) for name in names[:MAX_NAMED_LAYERS])
    return shown + (f" and {len(names) - MAX_NAMED_LAYERS} more" if len(names) > MAX_NAMED_LAYERS else "")


def _predecessors(layer):
    """The layers whose outputs `layer` takes, or None when Keras cannot say (a shared layer)."""
    try:
        tensors = keras.tree.flatten(layer.input)
    except (AttributeError, ValueError):
        return None
    return [producing_layer(tensor) for tensor in tensors]


def _graph_nodes(model, layers):
    """`layers` and the Operations (`keras.ops` calls such as `a + b`) of the functional graphs
    of `model` and of the models nested in it."""
    models = [model] + [layer for layer in layers if isinstance(layer, keras.Model)]
    nodes, seen = list(layers), {id(layer) for layer in layers}
    for each in models:
        for operation in getattr(each, "operations", None) or []:
            if id(operation) not in seen and not isinstance(operation, keras.layers.InputLayer):
                seen.add(id(operation))
                nodes.append(operation)
    return nodes


def _single_predecessor(layer):
    before = _predecessors(layer)
    return before[0] if before is not None and len(before) == 1 else None


def _predecessor_function(model, layers):
    """How to find a layer's single predecessor: from the graph, or, for a Sequential model not
    built yet (no graph), from the order of its layers."""
    if isinstance(model, keras.Sequential) and not model.built:
        previous = {id(layer): before for before, layer in zip(layers, layers[1:])}
        return lambda layer: previous.get(id(layer))
    return _single_predecessor


def _activation_name(layer):
    """The name of the activation a layer (or a `keras.ops` Operation) applies ("linear" for
    none), or None if unknown. TensorFlow's functions count under their Keras names
    (`tf.nn.softmax` is `softmax_v2`)."""
    for cls, name in _ACTIVATION_LAYERS.items():
        if isinstance(layer, cls):
            return name
    if layer is not None and not isinstance(layer, keras.layers.Layer):
        return _OPERATION_ACTIVATIONS.get(type(layer).__name__)
    activation = getattr(layer, "activation", None)
    if activation is None:
        return "linear" if isinstance(layer, LINEAR_MAPS) else None
    name = getattr(activation, "__name__", None)
    name = _ACTIVATION_ALIASES.get(name, name)
    return "linear" if name in ("linear", "identity") else name


def _activation_source(layer):
    """The layer that sets an output's activation: back through reshaping and dropout layers."""
    while layer is not None and isinstance(layer, PASS_THROUGH):
        layer = _single_predecessor(layer)
    return layer if layer is not None and _activation_name(layer) is not None else None


def _is_significant(layer):
    """A layer that transforms values with weights, or normalizes them. A `keras.ops` call in a
    functional graph (an Operation: `abs`, `!=`, the mask of an Embedding) holds no weights; nor
    does a `Normalization` that was never adapted transform anything (`is_unadapted`)."""
    if isinstance(layer, keras.Model) or not isinstance(layer, keras.layers.Layer) or is_unadapted(layer):
        return False  # a nested model's own layers are judged
    return isinstance(layer, NORMALIZERS) or bool(layer.weights)


def is_unadapted(layer):
    """Whether `layer` is a `keras.layers.Normalization` given no mean and variance and never
    adapted: Keras then builds it with mean 0 and variance 1, and it passes values unchanged."""
    if not isinstance(layer, keras.layers.Normalization) or layer.input_mean is not None or layer.invert:
        return False
    mean, variance = getattr(layer, "mean", None), getattr(layer, "variance", None)
    if mean is None or variance is None:  # not built yet: nothing to tell
        return False
    return not np.any(keras.ops.convert_to_numpy(mean)) and bool(np.all(keras.ops.convert_to_numpy(variance) == 1))


def _first_significant(layers):
    return next((layer for layer in layers if _is_significant(layer)), None)


def _activations(layers):
    return tuple(dict.fromkeys(name for name in map(_activation_name, layers) if name))


def _logit_activation(layer):
    """The activation of the values that `layer`'s own activation takes, when `layer` has no
    weights (an `Activation` or `Softmax` layer, a `keras.ops` call); else None."""
    if layer is None or isinstance(layer, LINEAR_MAPS) or getattr(layer, "weights", None):
        return None
    before = _activation_source(_single_predecessor(layer))
    return None if before is None else _activation_name(before)


def _treatment(first_layers):
    if first_layers and all(isinstance(layer, NORMALIZERS) for layer in first_layers):
        return "normalized"
    if first_layers and all(_reads_tokens(layer) for layer in first_layers):
        return "tokens"
    return "raw"


def _reads_tokens(layer):
    """An `Embedding`, or a layer of its own that holds one (keras.io's token-and-position
    embedding): its inputs are ids, not features with a scale."""
    if isinstance(layer, keras.layers.Embedding):
        return True
    return not isinstance(layer, keras.Model) and any(
        isinstance(inner, keras.layers.Embedding) for inner in all_layers(layer))


def _rescaling(first_layers):
    """`(scale, offset)` when every layer in `first_layers` is a `Rescaling` with the same scalar
    scale and offset; else ()."""
    if not first_layers or not all(isinstance(layer, keras.layers.Rescaling) for layer in first_layers):
        return ()
    pairs = {(layer.scale, layer.offset) for layer in first_layers}
    if len(pairs) != 1:
        return ()
    scale, offset = pairs.pop()
    if not all(isinstance(value, (int, float)) for value in (scale, offset)):
        return ()  # per-channel scales: no single factor to judge
    return float(scale), float(offset)


def _nested_inputs(model):
    """`{id(inner InputLayer): the nested model it belongs to}` over the models nested in `model`."""
    nested_inputs = {}
    for layer in all_layers(model):
        if isinstance(layer, keras.Model):
            for tensor in getattr(layer, "inputs", None) or []:
                nested_inputs[id(producing_layer(tensor))] = layer
    return nested_inputs


def _raw_readers(model, predicate):
    """`{id(input layer): [the layers satisfying `predicate` that read its raw values]}`: walks
    back from each such layer through layers that do not transform values with weights, across
    the boundaries of nested models, to the input layers it reads. With `_is_significant`, the
    first layers that transform each input."""
    readers = {}
    nested_inputs = _nested_inputs(model)
    for layer in all_layers(model):
        if predicate(layer):
            for source in _sources(layer, nested_inputs):
                readers.setdefault(id(source), []).append(layer)
    return readers


def _input_noise(model):
    """`{id(input layer): (name, stddev)}` of the `GaussianNoise` layer with the largest stddev
    that adds its noise to an input's raw values."""
    readers = _raw_readers(model, lambda layer: isinstance(layer, keras.layers.GaussianNoise))
    return {source: max(((layer.name, float(layer.stddev)) for layer in layers), key=lambda pair: pair[1])
            for source, layers in readers.items()}


def _sources(layer, nested_inputs):
    """The input layers `layer` reaches back to through non-significant layers."""
    found, stack, seen = [], list(_predecessors(layer) or []), set()
    while stack:
        current = stack.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, keras.layers.InputLayer):
            outer = nested_inputs.get(id(current))
            if outer is None:
                found.append(current)
            else:
                stack.extend(_predecessors(outer) or [])
        elif not _is_significant(current) and not isinstance(current, keras.Model):
            # A nested model's own layers reach this input through `nested_inputs`.
            stack.extend(_predecessors(current) or [])
    return found
