"""What to change, chosen by the run's own evidence: `Remedy`, `describe_setup`, `remedies_for`.

A `Remedy` is one edit in a closed vocabulary (`ACTIONS`): an action, the layer it targets (or
None for the whole model or training), JSON-safe parameters, the sentence a person reads, and
whether the library can apply it by itself (`diagnostics.remedy_edits.apply_remedies`).

`remedies_for(finding, setup)` turns a finding into remedies, most promising first. The choice and
the order come from the finding's evidence and from the model's setup (`describe_setup`), not from
the kind alone: all-zero initial weights stalling a run call for a random initializer, not for
momentum; a learning rate above its optimizer's stable range calls for a rate from the range test
first; saturation fed by raw inputs calls for standardized inputs, not a new activation.

Example:

>>> from diagnostics.findings import Finding
>>> f = Finding("suspicious_config", "warning", 0, None, "learning_rate=5 of SGD is above 1.",
...             {"learning_rate": 5.0, "stable_max": 1.0})
>>> [r.action for r in remedies_for(f)][:2]
['set_learning_rate', 'clip_gradients']
"""

import dataclasses
import math
import re

import keras
import numpy as np

from diagnostics import gradients, setup_data
from diagnostics.remedy import ACTIONS, OPTIMIZER_SETTINGS, Remedy
from diagnostics.setup_model import (BOTTLENECK_SHARE, DEFAULT_WEIGHT_DECAY, NORMALIZERS, SMALL_KERNEL_SCALE,
                                     _OPTIMIZER_FAMILIES, describe_model, innermost_optimizer)
from zoo._keras_internals import all_layers, producing_layer

# -- thresholds ------------------------------------------------------------------------------------

# A mean bias below this shuts a ReLU unit fed by unit-scale inputs (pre-activation std about 1
# under He initialization) for most samples: a large negative bias, not the learning rate, killed it.
DEAD_BIAS = -0.5
# std(kernel) * sqrt(fan_in) is 1 for LeCun and sqrt(2) for He initialization; 4 or more means
# weights drawn far too large, which explodes activations and gradients from the first step.
OVERSIZED_KERNEL_SCALE = 4.0
# Targets spread over more than 10 times a bounded output's range: squeezing them into it loses
# precision, so a linear output comes first; closer ranges keep the output and scale the targets.
WIDE_TARGET_FACTOR = 10.0
# Batches this small give gradients so noisy that the loss swings from step to step.
SMALL_BATCH = 8
# A lowered learning rate stays within 100x under its cap: on a loss that barely moves, the range
# test's valley can fall to the ramp's first rate (1e-7), where nothing trains.
LOWER_RATE_SPAN = 100.0
# A sigmoid/tanh unit whose bias alone is this far from 0 sits on a flat tail for most inputs
# (tanh(2) = 0.96): the initial bias, not the activation, saturated it.
SATURATED_BIAS = 2.0
# A fifth or more of a layer's units that died after the first probe died while training: the
# steps pushed them where no input reaches them (the learning rate), not their start.
DYING_RISE = 0.2
# SGD momentum at or above this averages over 100+ steps: the velocity overshoots and swings
# (Keras' guides and most recipes use 0.9).
HIGH_MOMENTUM = 0.99
# Keras' default epsilon of its adaptive optimizers.
DEFAULT_EPSILON = 1e-7
# Keras' default batch size, assumed when the setup does not say.
DEFAULT_BATCH_SIZE = 32
# Standard choices the remedies use (the literature's defaults).
DROPOUT_RATE = 0.3
L2_FACTOR = 1e-4
CLIPNORM = 1.0
# An activity penalty sums over every unit of a row: sparse-coding recipes weigh it 1e-5 to 1e-4.
ACTIVITY_L1 = 1e-5
# EarlyStopping's patience in the remedy for a stop that cut a learning run short: Keras' guides
# use 2 to 10 epochs; 5 rides out a noisy epoch or two.
STOP_PATIENCE = 5
# A raise worth trying is tenfold; a rate within a tenth of its optimizer's stable top has no room.
RAISE_FACTOR = 10
LABEL_SMOOTHING = 0.1

SATURATING = ("sigmoid", "tanh", "hard_sigmoid", "softsign")
# Hidden activations that grow faster than their input: stacked, they overflow float32.
GROWING = ("exponential",)
RELU_FAMILY = ("relu", "relu6", "leaky_relu", "elu", "selu", "gelu", "silu", "swish", "prelu")
ADAPTIVE_OPTIMIZERS = ("adam", "adamw", "adamax", "nadam", "rmsprop", "adagrad", "adadelta",
                       "lion", "adafactor", "lamb", "adabelief", "radam", "yogi")


# -- the model's setup -----------------------------------------------------------------------------


def describe_setup(model):
    """JSON-safe facts about a compiled Keras model that `remedies_for` reads.

    Args:
        model: a `keras.Model` (compiled or not; a subclassed one gives fewer facts).

    Returns:
        A dict: `model_type` ("sequential", "functional" or "subclassed"); `layers` (per layer
        with weights or an activation: name, class, activation, units, kernel_initializer,
        bias_initializer, use_bias, hidden, kernel_zero, kernel_constant, kernel_scale,
        bias_mean); `outputs` (layer, activation, units, loss, loss_family, from_logits);
        `inputs` (name, treatment); `optimizer`, `learning_rate`, `stable_range`, `momentum`,
        `clipnorm`, `global_clipnorm`, `clipvalue`; `has_normalization`, `has_dropout`,
        `max_dropout_rate`, `recurrent`.

    Example:

    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="tanh"),
    ...                           keras.layers.Dense(1, activation="sigmoid")])
    >>> model.compile(optimizer="sgd", loss="binary_crossentropy")
    >>> setup = describe_setup(model)
    >>> [(layer["activation"], layer["hidden"]) for layer in setup["layers"]], setup["optimizer"]
    ([('tanh', True), ('sigmoid', False)], 'sgd')
    """
    if isinstance(model, keras.Sequential):
        model_type = "sequential"
    elif _is_graph(model):
        model_type = "functional"
    else:
        model_type = "subclassed"
    inputs, outputs = describe_model(model)
    output_layers = {output.layer for output in outputs}
    if model_type == "sequential" and not outputs and model.layers:
        output_layers = {model.layers[-1].name}
    # The model's own layers: those a clone can edit (a nested model's are out of reach, and
    # an RNN's cell is edited through its RNN layer).
    layers = [_describe_layer(layer, layer.name in output_layers, kernel_layer(model, layer))
              for layer in model.layers if not isinstance(layer, (keras.layers.InputLayer, keras.Model))]
    setup = {
        "model_type": model_type,
        "layers": [layer for layer in layers if layer is not None],
        "outputs": [{"layer": o.layer, "activation": o.activation, "units": o.units,
                     "loss": o.loss.name if o.loss else None,
                     "loss_family": o.loss.family if o.loss else None,
                     "from_logits": bool(o.loss.from_logits) if o.loss else False} for o in outputs],
        "inputs": [{"name": i.name, "treatment": i.treatment} for i in inputs],
        "has_normalization": any(isinstance(layer, NORMALIZERS) for layer in all_layers(model)),
        "has_dropout": False,
        "max_dropout_rate": 0.0,
        "recurrent": any(isinstance(layer, keras.layers.SimpleRNN) for layer in all_layers(model)),
    }
    rates = [float(layer.rate) for layer in all_layers(model)
             if "Dropout" in type(layer).__name__ and isinstance(getattr(layer, "rate", None), (int, float))]
    setup["has_dropout"], setup["max_dropout_rate"] = bool(rates), max(rates, default=0.0)
    setup["activity_regularized"] = [layer.name for layer in all_layers(model)
                                     if getattr(layer, "activity_regularizer", None) is not None]
    setup.update(_describe_optimizer(getattr(model, "optimizer", None)))
    return setup


def _is_graph(model):
    try:
        return bool(model.inputs) and bool(model.outputs) and hasattr(model, "operations")
    except (AttributeError, ValueError):
        return False


def _snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower() if name else name


def initializer_name(initializer):
    """A Keras initializer (object, name, serialized dict or None) as a snake_case name ("he_normal").

    Example:

    >>> initializer_name(keras.initializers.GlorotUniform()), initializer_name({"class_name": "HeNormal"})
    ('glorot_uniform', 'he_normal')
    """
    if initializer is None or isinstance(initializer, str):
        return initializer
    if isinstance(initializer, dict):
        return _snake(initializer.get("class_name"))
    return _snake(type(initializer).__name__)


def activation_name(layer):
    """The name of the activation a layer applies, or None when it has none."""
    activation = getattr(layer, "activation", None)
    if activation is None:
        return {keras.layers.ReLU: "relu", keras.layers.LeakyReLU: "leaky_relu", keras.layers.ELU: "elu",
                keras.layers.PReLU: "prelu", keras.layers.Softmax: "softmax"}.get(type(layer))
    name = getattr(activation, "__name__", None) or type(activation).__name__
    return "linear" if name in ("linear", "identity") else name


def kernel_layer(model, layer):
    """The layer whose weights feed `layer`'s activation: `layer` itself when it has a kernel; for
    an activation layer (Activation, ReLU...) the layer before it, back through layers without
    weights of their own (dropout, normalization); None if there is none or the graph branches."""
    if _kernel(layer) is not None:
        return layer
    if activation_name(layer) is None:
        return None
    current = layer
    for _ in range(len(model.layers)):
        current = _predecessor(model, current)
        if current is None or isinstance(current, (keras.layers.InputLayer, keras.Model)):
            return None
        if _kernel(current) is not None:
            return current
        if activation_name(current) is not None:
            return None  # another activation first: nothing to attribute
    return None


def _predecessor(model, layer):
    if isinstance(model, keras.Sequential):
        index = model.layers.index(layer)
        return model.layers[index - 1] if index > 0 else None
    try:
        tensors = keras.tree.flatten(layer.input)
    except (AttributeError, ValueError):
        return None
    return producing_layer(tensors[0]) if len(tensors) == 1 else None


def _kernel(layer):
    """A layer's kernel (an RNN's is its cell's), or None."""
    if not layer.built:
        return None
    kernel = getattr(layer, "kernel", None)
    if kernel is None and getattr(layer, "cell", None) is not None:
        kernel = getattr(layer.cell, "kernel", None)
    return kernel


def _describe_layer(layer, is_output, source):
    activation = activation_name(layer)
    kernel = _kernel(layer)
    if activation is None and kernel is None:
        return None
    record = {"name": layer.name, "class": type(layer).__name__, "activation": activation,
              "units": getattr(layer, "units", getattr(layer, "filters", None)),
              "kernel_initializer": initializer_name(getattr(layer, "kernel_initializer", None)),
              "bias_initializer": initializer_name(getattr(layer, "bias_initializer", None)),
              "use_bias": bool(getattr(layer, "use_bias", False)),
              # A hidden unit: a nonlinearity, in a layer with weights or in an activation layer.
              "hidden": not is_output and activation not in (None, "linear"),
              "recurrent": isinstance(layer, keras.layers.RNN)}
    if kernel is None:  # an activation layer: its weights are the ones before it
        record["kernel_layer"] = source.name if source is not None else None
        record["bias_mean"] = _bias_mean(source) if source is not None else None
        return record
    if kernel is not None:
        values = np.asarray(keras.ops.convert_to_numpy(kernel), dtype=np.float64)
        fan_in = int(np.prod(values.shape[:-1])) if values.ndim > 1 else 1
        record["kernel_zero"] = bool(values.size and not values.any())
        record["kernel_constant"] = bool(values.size > 1 and values.min() == values.max())
        record["kernel_scale"] = float(values.std() * math.sqrt(fan_in))
    record["bias_mean"] = _bias_mean(layer)
    return record


def _bias_mean(layer):
    bias = getattr(layer, "bias", None) if layer.built and getattr(layer, "use_bias", False) else None
    return float(np.mean(keras.ops.convert_to_numpy(bias))) if bias is not None else None


def _describe_optimizer(optimizer):
    facts = {"optimizer": None, "learning_rate": None, "stable_range": None, "momentum": None,
             "clipnorm": None, "global_clipnorm": None, "clipvalue": None}
    optimizer = innermost_optimizer(optimizer)
    if not isinstance(optimizer, keras.optimizers.Optimizer):
        return facts
    facts["optimizer"] = type(optimizer).__name__.lower()  # as keras.optimizers.get names it
    try:
        facts["learning_rate"] = float(np.asarray(optimizer.learning_rate))
    except (TypeError, ValueError):
        pass  # a schedule: no single rate
    family = next((entry for entry in _OPTIMIZER_FAMILIES if isinstance(optimizer, entry[0])), None)
    if family is not None:
        facts["stable_range"] = [float(family[2][0]), float(family[2][1])]
    momentum = getattr(optimizer, "momentum", None)
    facts["momentum"] = float(momentum) if isinstance(momentum, (int, float)) else None
    for name in ("clipnorm", "global_clipnorm", "clipvalue"):
        value = getattr(optimizer, name, None)
        facts[name] = float(value) if isinstance(value, (int, float)) else None
    return facts


# -- choosing remedies -----------------------------------------------------------------------------


def remedies_for(finding, setup=None):
    """The remedies for `finding`, most promising first, chosen by its kind, its evidence and the
    model's `setup`.

    Args:
        finding: a `diagnostics.Finding`.
        setup: `describe_setup(model)` of the run's model (or the `meta["setup"]` of a run
            record), or None; without it the remedies rest on the evidence alone.

    Returns:
        A list of `Remedy`, no two alike.

    Example:

    >>> from diagnostics.findings import Finding
    >>> f = Finding("saddle_point", "warning", 3, None, "Stalled at a saddle.",
    ...             {"loss": 0.7, "zero_init_layers": 2})
    >>> remedies_for(f)[0].action, remedies_for(f)[0].params["kernel_initializer"]
    ('set_initializer', 'glorot_uniform')
    """
    facts = _Facts(finding, setup or {})
    chooser = _CHOOSERS.get(finding.kind)
    remedies = chooser(facts) if chooser else []
    unique, seen = [], set()
    for remedy in remedies:
        if remedy is None or facts.redundant(remedy):
            continue
        # What the user must do is told apart by its sentence; what the library does, by its edit.
        key = (remedy.action, remedy.target, repr(sorted(remedy.params.items())),
               None if remedy.applicable else remedy.sentence)
        if key not in seen:
            seen.add(key)
            unique.append(remedy)
    return unique


class _Facts:
    """A finding's evidence and the model's setup, read the way the choosers need them."""

    def __init__(self, finding, setup):
        self.finding, self.evidence, self.setup = finding, finding.evidence, setup
        self.layers = setup.get("layers") or []
        self.hidden = [layer for layer in self.layers if layer.get("hidden")]
        self.output = (setup.get("outputs") or [{}])[0]

    def has(self, key):
        value = self.evidence.get(key)
        return value is not None and not (isinstance(value, float) and math.isnan(value))

    def hidden_with(self, activations):
        """Hidden layers with one of `activations`; recurrent ones are left out (their tanh is
        part of the cell: ReLU there explodes, and their cure is a gated cell)."""
        return [layer["name"] for layer in self.hidden
                if layer.get("activation") in activations and not layer.get("recurrent")]

    def linear_only(self):
        """The hidden layers with weights when none of the model's hidden layers has a
        nonlinearity (a stack of linear maps is one linear map, whatever its depth); else []."""
        if self.hidden:
            return []
        outputs = {output.get("layer") for output in self.setup.get("outputs") or []}
        return [layer["name"] for layer in self.layers if "kernel_scale" in layer and not layer.get("recurrent")
                and layer.get("activation") in (None, "linear") and layer["name"] not in outputs]

    def recurrent_with(self, activations):
        """Recurrent layers whose (cell's output) activation is one of `activations`."""
        return [layer["name"] for layer in self.layers if layer.get("recurrent") and layer.get("activation") in activations]

    def unbounded_recurrent(self):
        """Recurrent layers whose activation has no bound (an LSTM or GRU set to ReLU): the
        state can grow at every step."""
        return [layer["name"] for layer in self.layers if layer.get("recurrent")
                and layer.get("activation") not in (*SATURATING, None)]

    def symmetric_layers(self):
        """The layers the setup saw start at all-zero or all-equal weights."""
        return [layer["name"] for layer in self.layers if layer.get("kernel_zero") or layer.get("kernel_constant")]

    def started_symmetric(self):
        """Whether weights started all-zero or all-equal: in the setup, or by the detector's
        evidence (`zero_init_layers` / `symmetric_init_layers`, a count of layers;
        `stationary_layers`, the layers a saddle held at exactly zero gradient)."""
        return bool(self.symmetric_layers() or self.evidence.get("zero_init_layers")
                    or self.evidence.get("symmetric_init_layers") or self.evidence.get("stationary_layers"))

    def learning_rate_out_of_range(self):
        """'high', 'low' or None: the rate against the optimizer family's stable range."""
        if self.has("stable_max"):
            return "high"
        if self.has("stable_min"):
            return "low"
        rate, bounds = self.setup.get("learning_rate"), self.setup.get("stable_range")
        if rate is None or not bounds:
            return None
        return "high" if rate > bounds[1] else "low" if rate < bounds[0] else None

    def near_zero_init(self):
        """The layers whose kernels were drawn near zero (`SMALL_KERNEL_SCALE`), when a hidden
        unit is fed by one of them (a small output layer alone does not stall the stack); an
        all-zero kernel is a symmetric start instead. Else []."""
        small = [layer["name"] for layer in self.layers if not layer.get("kernel_zero")
                 and layer.get("kernel_scale") is not None and layer["kernel_scale"] < SMALL_KERNEL_SCALE]
        # A hidden activation layer's kernel is the one of the layer before it.
        feeding = {layer.get("kernel_layer") or layer["name"] for layer in self.hidden}
        return small if feeding & set(small) else []

    def oversized_init(self):
        return [layer["name"] for layer in self.layers
                if (layer.get("kernel_scale") or 0.0) >= OVERSIZED_KERNEL_SCALE]

    def raw_inputs(self):
        """Whether raw, unscaled inputs are part of the story."""
        if self.finding.explained_by == "unnormalized_input":
            return True
        if (self.evidence.get("input_max_abs") or 0.0) > setup_data.MAX_INPUT_SCALE:
            return True
        return False

    def plain_sgd(self):
        return self.setup.get("optimizer") == "sgd" and not self.setup.get("momentum")

    def redundant(self, remedy):
        """A remedy the setup already has (clipping on a clipped optimizer, Adam for Adam). A
        clipping that replaces one that strangles every step (`clipped_step`) is a change."""
        if remedy.action == "clip_gradients":
            return not self.has("clipped_step") and any(
                self.setup.get(name) for name in ("clipnorm", "global_clipnorm", "clipvalue"))
        if remedy.action == "set_optimizer":
            return self.setup.get("optimizer") == remedy.params.get("optimizer") and not (
                set(OPTIMIZER_SETTINGS) & set(remedy.params))
        if remedy.action == "add_normalization" and not remedy.params.get("layers") and remedy.target is None:
            return bool(self.setup.get("has_normalization")) and remedy.params.get("kind") == "batch"
        return False


# Each remedy builder returns a `Remedy`; the choosers below order them by evidence.


def _lower_learning_rate(facts, why="lower it"):
    """The range test's rate, below the stable range's top (or 3x below the run's rate)."""
    high = facts.evidence.get("stable_max")
    if high is None and facts.learning_rate_out_of_range() == "high":
        high = facts.setup["stable_range"][1]
    top = high / 10 if high else facts.setup.get("learning_rate", 0.0) / 3 if facts.setup.get("learning_rate") else None
    params = {"learning_rate": None}
    if top:
        params["max_learning_rate"] = _round(top)
        params["min_learning_rate"] = _round(top / LOWER_RATE_SPAN)
        sentence = (f"Lower the learning rate to about {top:g} or below; "
                    "diagnostics.find_learning_rate picks the rate from a range test.")
    else:
        sentence = (f"Lower the learning rate ({why}): try 10x lower, or let "
                    "diagnostics.find_learning_rate pick it from a range test.")
    return Remedy("set_learning_rate", None, params, sentence)


def _raise_learning_rate(facts):
    """The range test's rate from the run's own up; None when a tenfold raise would leave the
    optimizer's stable range (Adam at 1e-2: its stall is no matter of too small steps)."""
    low = facts.evidence.get("stable_min")
    if low is None and facts.learning_rate_out_of_range() == "low":
        low = facts.setup["stable_range"][0]
    rate, bounds = facts.setup.get("learning_rate"), facts.setup.get("stable_range")
    if low is None and rate and bounds and rate * RAISE_FACTOR > bounds[1]:
        return None
    params = {"learning_rate": None}
    if low:
        params["min_learning_rate"] = _round(low * 100)
        sentence = (f"Raise the learning rate to about {low * 100:g} or above; "
                    "diagnostics.find_learning_rate picks the rate from a range test.")
    elif facts.setup.get("learning_rate"):
        # Raising means never going below the rate the run already has.
        params["min_learning_rate"] = _round(facts.setup["learning_rate"])
        sentence = ("Raise the learning rate (try 10x), or let diagnostics.find_learning_rate pick it "
                    "from a range test.")
    else:
        sentence = ("Raise the learning rate (try 10x), or let diagnostics.find_learning_rate pick it "
                    "from a range test.")
    return Remedy("set_learning_rate", None, params, sentence)


def _round(value):
    """`value` to 3 significant digits, so that parameters read as people write them (1e-4, not
    9.999999999999999e-05)."""
    return float(f"{value:.3g}")


def _clip(facts):
    return Remedy("clip_gradients", None, {"clipnorm": CLIPNORM},
                  f"Clip gradients: pass `clipnorm={CLIPNORM:g}` (or `global_clipnorm`) to the optimizer.")


def _adam():
    return Remedy("set_optimizer", None, {"optimizer": "adam", "learning_rate": 1e-3},
                  "Use an adaptive optimizer (Adam, learning rate 1e-3): it rescales small gradients "
                  "and escapes saddles much faster than plain SGD.")


def _same_optimizer(facts, settings, sentence):
    """`set_optimizer` to the run's own optimizer (Adam when the setup does not say) at its own
    learning rate, with `settings` (a momentum, an epsilon) changed."""
    rate = facts.setup.get("learning_rate")
    return Remedy("set_optimizer", None, {"optimizer": facts.setup.get("optimizer") or "adam", **settings,
                                          **({"learning_rate": rate} if rate is not None else {})}, sentence)


def _mini_batches(steps):
    """`change_batch_size` to Keras' default batch for a fit of `steps` updates per epoch."""
    return Remedy("change_batch_size", None, {"batch_size": DEFAULT_BATCH_SIZE},
                  f"Use mini-batches of {DEFAULT_BATCH_SIZE}: {steps} update(s) per epoch are far too few to "
                  "learn in a usual number of epochs.")


def _relu_he(facts, layers, replaced="sigmoid or tanh", why="keep sigmoid/tanh for outputs and gates"):
    params = {"activation": "relu", "kernel_initializer": "he_normal"}
    if layers:
        params["layers"] = layers
        where = ", ".join(repr(name) for name in layers)
    else:
        params["replace"] = list(SATURATING)
        where = "the sigmoid/tanh hidden layers"
    return Remedy("set_activation", None, params,
                  f"Use ReLU with He initialization in {where} instead of {replaced} ({why}).")


def _normalize(facts, kind="batch"):
    return Remedy("add_normalization", None, {"kind": kind},
                  "Add batch normalization between the hidden layers, before their activations, "
                  "to keep pre-activations centred.")


def _standardize(facts, sentence=None):
    return Remedy("standardize_inputs", None, {"method": "standardize"},
                  sentence or "Standardize the inputs: a keras.layers.Normalization adapted to the "
                              "training data as the first layer (or sklearn StandardScaler).")


def _random_init(facts, layers):
    names = list(layers)
    activations = {layer.get("activation") for layer in facts.layers if layer["name"] in names}
    initializer = "he_normal" if activations and activations <= set(RELU_FAMILY) else "glorot_uniform"
    params = {"kernel_initializer": initializer}
    if names:
        params["layers"] = names
    where = ", ".join(repr(n) for n in names) if names else "every layer"
    return Remedy("set_initializer", None, params,
                  f"Initialize the weights randomly ({initializer}) in {where}: weights that all start "
                  "at zero or at one value get the same (or no) gradient, so units never differ.")


def _not_applicable(action, sentence):
    return Remedy(action, None, {}, sentence, applicable=False)


def _symmetric_start(facts):
    """A random initializer first when the setup saw weights start all-zero or all-equal: such a
    net cannot learn (every unit gets the same gradient, or none), whatever else is wrong."""
    layers = facts.symmetric_layers()
    return [_random_init(facts, layers)] if layers else []


def _initial_weights(facts):
    """The initializer first when the setup saw the weights start where nothing can train: all
    zero or all equal (`_symmetric_start`), or drawn near zero (`_variance_preserving`)."""
    return _symmetric_start(facts) or _variance_preserving(facts)


def _variance_preserving(facts):
    """He (ReLU family) or Glorot (sigmoid, tanh, other) initialization for the layers the setup
    saw drawn near zero: it keeps the signal's and the gradient's scale from layer to layer."""
    layers = facts.near_zero_init()
    if not layers:
        return []
    records = {layer["name"]: layer for layer in facts.layers}
    activations = {layer.get("activation") for layer in facts.hidden
                   if (layer.get("kernel_layer") or layer["name"]) in layers}
    initializer = "he_normal" if activations and activations <= set(RELU_FAMILY) else "glorot_uniform"
    scale = min(records[name]["kernel_scale"] for name in layers)
    where = ", ".join(repr(name) for name in layers)
    return [Remedy("set_initializer", None, {"kernel_initializer": initializer, "layers": layers},
                   f"Initialize {where} with {initializer}: their weights were drawn near zero "
                   f"(std(kernel) x sqrt(fan_in) down to {scale:.2g}, against about 1), so the signal and "
                   "the gradient shrink at every layer.")]


def _vanishing(facts):
    if "informative_share" in facts.evidence:
        return _vanishing_through_time(facts)
    if "time_growth" in facts.evidence:
        return _decayed_through_time(facts)
    saturating = facts.hidden_with(SATURATING)
    remedies = _initial_weights(facts)
    squashed = facts.recurrent_with(("sigmoid", "hard_sigmoid"))
    if squashed:
        remedies.append(Remedy("set_activation", None, {"activation": "tanh", "layers": squashed},
                               f"Use tanh, Keras' default, in {', '.join(repr(name) for name in squashed)}: a "
                               "sigmoid's slope is at most 0.25, so the gradient shrinks 4x or more at every "
                               "step and every stacked layer; tanh's is 1 at 0."))
    softmax_hidden = facts.hidden_with(("softmax",))
    if softmax_hidden:
        # A softmax spreads one unit of output over a layer's units (1/64 each for 64): every layer
        # shrinks the signal and its gradient that much, whatever the weights. It belongs on outputs.
        remedies.append(_relu_he(facts, softmax_hidden, "softmax",
                                 "which squeezes each hidden layer's outputs to sum to 1; keep softmax for the output"))
    if facts.raw_inputs():
        remedies.append(_standardize(facts))
    if saturating or not facts.layers:
        remedies.append(_relu_he(facts, saturating))
        remedies.append(_normalize(facts))
    else:
        remedies.append(_normalize(facts))
        remedies.append(Remedy("set_initializer", None, {"kernel_initializer": "he_normal"},
                               "Use He (Kaiming) initialization for ReLU-family layers, Glorot for tanh."))
    remedies += [
        _not_applicable("change_architecture", "Add residual (skip) connections so that gradients can "
                                               "bypass the deep stack."),
        # Without a setup the model may be recurrent: the sentence stays.
        _not_applicable("change_architecture", "For recurrent networks, use gated cells (LSTM, GRU) "
                                               "instead of simple RNN cells.")
        if facts.setup.get("recurrent") or not facts.setup else None,
        _not_applicable("change_architecture", "Make the network shallower if the extra depth is not needed."),
    ]
    return remedies


def _bounded_activations(facts):
    """The activation change first when the setup has activations that let values grow without
    bound: tanh back in recurrent layers set to an unbounded one (Keras' default, which keeps the
    state in [-1, 1] however many steps it runs), ReLU with He instead of `exponential` hidden
    layers. Else []."""
    remedies = []
    recurrent = facts.unbounded_recurrent()
    if recurrent:
        where = ", ".join(repr(name) for name in recurrent)
        remedies.append(Remedy("set_activation", None, {"activation": "tanh", "layers": recurrent},
                               f"Use tanh, Keras' default, in {where}: an unbounded activation in a "
                               "recurrent layer lets the state and its gradient grow at every step."))
    growing = facts.hidden_with(GROWING)
    if growing:
        remedies.append(_relu_he(facts, growing, "exponential", "an exponential grows without bound, layer on layer"))
    return remedies


def _nonlinearity(facts):
    """ReLU with He in the hidden layers of a model that has no hidden nonlinearity: it can only
    fit a linear function of its inputs, and no optimizer setting changes that. Else []."""
    linear = facts.linear_only()
    return [_relu_he(facts, linear, "no activation", "a stack of linear layers is one linear map")] if linear else []


def _exploding(facts):
    bounded = _bounded_activations(facts)
    if "time_growth" in facts.evidence:
        return bounded + _exploding_through_time(facts)
    depth = facts.evidence.get("threshold") == gradients.EXPLODING_DEPTH_RATIO
    oversized = facts.oversized_init()
    init = Remedy("set_initializer", None,
                  {"kernel_initializer": "he_normal" if facts.hidden_with(RELU_FAMILY) else "glorot_uniform",
                   **({"layers": oversized} if oversized else {})},
                  "Use a variance-preserving initialization (He for ReLU, Glorot for tanh) instead of "
                  "large weights.")
    remedies = bounded
    if oversized or (depth and facts.learning_rate_out_of_range() != "high"):
        # Growth with depth, or weights drawn large: the initialization, not the step, is the cause.
        remedies += [init, _normalize(facts)]
    remedies += [_lower_learning_rate(facts), _clip(facts), init, _normalize(facts),
                 Remedy("clip_gradients", None, {"global_clipnorm": CLIPNORM},
                        "Use adaptive or global gradient clipping (zoo.optimizers AGC, or "
                        f"`global_clipnorm={CLIPNORM:g}`), which bounds the whole step.")]
    return remedies


def _vanishing_through_time(facts):
    """The gradient does not reach the informative steps: what the layer reads must change."""
    return [
        _not_applicable("fix_data", "Mask the padding (`Embedding(mask_zero=True)` or a `keras.layers.Masking` "
                                    "layer), so the recurrent layer skips it."),
        _not_applicable("fix_data", "Or pad at the start (`padding='pre'`), so the informative steps are read "
                                    "last, next to the output."),
        _not_applicable("change_architecture", "For long-range dependencies, use gated cells (LSTM, GRU), "
                                               "a bidirectional layer or attention."),
    ]


def _decayed_through_time(facts):
    """The gradient shrinks at every step back through the recurrence: the cell or the reading
    order must change."""
    return [
        _not_applicable("change_architecture", "Use gated cells (LSTM, GRU), whose cell state carries the "
                                               "gradient across many steps, or attention."),
        _not_applicable("change_architecture", "Or put the steps that matter last: `go_backwards=True`, or a "
                                               "`keras.layers.Bidirectional` wrapper."),
        _not_applicable("fix_data", "Or shorten the sequences to the steps that carry information."),
    ]


def _exploding_through_time(facts):
    """The recurrent Jacobian amplifies the gradient at every step: bound the step, then the gain."""
    return [
        Remedy("clip_gradients", None, {"global_clipnorm": CLIPNORM},
               f"Clip gradients: pass `global_clipnorm={CLIPNORM:g}` to the optimizer, which bounds the "
               "whole step however far back through time the gradient grew."),
        _not_applicable("change_architecture", "Keep the recurrent weights' gain at 1: Keras' default "
                                               "`recurrent_initializer='orthogonal'` (gain 1.0)."),
        _lower_learning_rate(facts),
        _not_applicable("change_architecture", "Use gated cells (LSTM, GRU) instead of simple RNN cells."),
    ]


def _dead_relu(facts):
    relu_layers = facts.hidden_with(("relu", "relu6"))
    record = next((layer for layer in facts.layers if layer["name"] == facts.finding.layer), {})
    # An activation layer's units are fed by the weights of the layer before it.
    target = record.get("kernel_layer") or facts.finding.layer
    negative_bias = (record.get("bias_mean") is not None and record["bias_mean"] <= DEAD_BIAS) or (
        (facts.evidence.get("bias_mean") or 0.0) <= DEAD_BIAS)
    # Every ReLU layer started behind such a bias, not only the one the finding names: a cure of one
    # leaves the others shut (two layers at bias -2, the first re-initialized, stayed dead).
    shut = _weights_behind_negative_bias(facts, relu_layers)
    targets = [target] + [name for name in shut if name != target] if negative_bias and target else [target]
    where = ", ".join(repr(name) for name in targets if name)
    init = Remedy("set_initializer", target if target and len(targets) == 1 else None,
                  {"kernel_initializer": "he_normal", "bias_initializer": "zeros",
                   **({"layers": targets} if len(targets) > 1 else {})},
                  f"Initialize biases at zero and weights with He initialization"
                  f"{f' in {where}' if where else ''}.")
    leaky = Remedy("set_activation", None,
                   {"activation": "leaky_relu", **({"layers": relu_layers} if relu_layers else {"replace": ["relu", "relu6"]})},
                   "Use LeakyReLU (or ELU, GELU), which passes a gradient for negative inputs.")
    if negative_bias:
        return [init, leaky, _normalize(facts), _lower_learning_rate(facts, "large updates kill units")]
    if facts.learning_rate_out_of_range() == "high":
        return [_lower_learning_rate(facts, "large updates kill units"), leaky, init, _normalize(facts)]
    if facts.raw_inputs():
        return [_standardize(facts), leaky, init, _normalize(facts)]
    if (facts.evidence.get("rise") or 0.0) >= DYING_RISE:
        return [_lower_learning_rate(facts, "the units died while training: large updates push them where "
                                            "no input reaches them"), leaky, init, _normalize(facts)]
    return [leaky, init, _lower_learning_rate(facts, "large updates push units where they never fire"),
            _normalize(facts)]


def _weights_behind_negative_bias(facts, relu_layers):
    """The layers holding the weights of each of `relu_layers` whose bias started at or below
    `DEAD_BIAS` (an activation layer's are those of the layer before it)."""
    records = {layer["name"]: layer for layer in facts.layers}
    return [records[name].get("kernel_layer") or name for name in relu_layers
            if name in records and records[name].get("bias_mean") is not None
            and records[name]["bias_mean"] <= DEAD_BIAS]


def _saturation(facts):
    saturating = facts.hidden_with(SATURATING)
    if facts.raw_inputs():
        return [_standardize(facts, "Standardize the inputs (a keras.layers.Normalization adapted to the "
                                    "training data): raw, large inputs drive the units into saturation."),
                Remedy("set_initializer", None, {"kernel_initializer": "glorot_uniform",
                                                 **({"layers": saturating} if saturating else {})},
                       "Use Glorot (Xavier) initialization for sigmoid/tanh layers."),
                _normalize(facts), _relu_he(facts, saturating)]
    remedies = [_relu_he(facts, saturating), _normalize(facts)]
    if facts.learning_rate_out_of_range() == "high":
        remedies.insert(0, _lower_learning_rate(facts, "large weights drive units into saturation"))
    biased = _saturated_by_bias(facts, saturating)
    if biased:
        where = ", ".join(repr(name) for name in biased)
        remedies.insert(0, Remedy("set_initializer", None, {"bias_initializer": "zeros", "layers": biased},
                                  f"Initialize the biases of {where} at zero: a bias this far from zero puts "
                                  "the sigmoid/tanh units on their flat tail before any input arrives."))
    oversized = facts.oversized_init()
    if oversized:
        # Weights drawn large push every pre-activation onto the flat tails from the first step:
        # the initialization, not the activation, is the cause.
        remedies.insert(0, Remedy("set_initializer", None, {"kernel_initializer": "glorot_uniform", "layers": oversized},
                                  f"Initialize {', '.join(repr(name) for name in oversized)} with glorot_uniform: "
                                  "weights drawn large drive the sigmoid/tanh units onto their flat tails."))
    remedies += [_standardize(facts), _lower_learning_rate(facts, "large weights drive units into saturation")]
    return remedies


def _saturated_by_bias(facts, saturating):
    """The layers holding the biases of `saturating` layers that started `SATURATED_BIAS` or
    further from zero (an activation layer's are those of the layer before it)."""
    records = {layer["name"]: layer for layer in facts.layers}
    return [records[name].get("kernel_layer") or name for name in saturating
            if name in records and abs(records[name].get("bias_mean") or 0.0) >= SATURATED_BIAS]


def _overfitting(facts):
    best = facts.evidence.get("best_epoch")
    patience = max(1, int(facts.finding.epoch) - int(best)) if best is not None else 3
    stop = Remedy("early_stopping", None,
                  {"monitor": "val_loss", "patience": patience, "restore_best_weights": True,
                   **({"best_epoch": int(best)} if best is not None else {})},
                  ("Stop early and restore the best weights"
                   + (f" (epoch {int(best)})" if best is not None else "")
                   + ": keras.callbacks.EarlyStopping(monitor='val_loss', restore_best_weights=True)."))
    dropout = Remedy("add_dropout", None, {"rate": DROPOUT_RATE},
                     f"Add dropout between the wider layers (rate {DROPOUT_RATE:g}).")
    decay = Remedy("add_regularization", None, {"l2": L2_FACTOR},
                   f"Add L2 weight decay (kernel_regularizer=keras.regularizers.L2({L2_FACTOR:g})).")
    regularizers = [decay, dropout] if facts.setup.get("has_dropout") else [dropout, decay]
    return [stop] + regularizers + [
        _not_applicable("collect_data", "Augment the training data, or collect more of it."),
        _not_applicable("change_architecture", "Use a smaller model (fewer units or layers)."),
    ]


def _underfitting(facts):
    remedies = _initial_weights(facts) + _nonlinearity(facts)
    steps = facts.setup.get("steps_per_epoch")
    if steps and steps <= setup_data.FEW_STEPS_PER_EPOCH:
        remedies.append(_mini_batches(steps))
    # The judge names a heavy penalty as the cause (`generalization.HEAVY_PENALTY_SHARE`): its
    # evidence then holds `heavy_penalty`, the penalty over the data loss.
    if "heavy_penalty" in facts.evidence:
        penalty = facts.evidence.get("regularization_loss")
        share = f"{penalty:.3g}, {facts.evidence['heavy_penalty']:.0%} of the data loss" if penalty is not None \
            else f"{facts.evidence['heavy_penalty']:.0%} of the data loss"
        if facts.evidence.get("activity_penalty") and facts.setup.get("activity_regularized"):
            remedies.append(Remedy("add_regularization", None, {"l1": ACTIVITY_L1, "activity": True},
                                   f"Weaken the activity penalty to L1({ACTIVITY_L1:g}): it adds {share}; it "
                                   "charges every unit's output in every row, so the steps switch the units off."))
        else:
            remedies.append(Remedy("add_regularization", None, {"l2": L2_FACTOR},
                                   f"Weaken the weight penalty to L2({L2_FACTOR:g}): it adds {share}, and the "
                                   "steps serve the penalty, not the data."))
    if facts.raw_inputs():
        remedies.append(_standardize(facts))
    if facts.setup.get("max_dropout_rate", 0.0) > 0.5:
        remedies.append(Remedy("set_dropout", None, {"rate": 0.2}, "Reduce dropout: rates above 0.5 "
                                                                   "starve the layers after them."))
    if facts.plain_sgd():
        remedies += [_adam(), _raise_learning_rate(facts)]
    else:
        remedies += [_raise_learning_rate(facts), _adam()]
    remedies += [
        _not_applicable("change_architecture", "Use a larger model (more units or layers) or a better "
                                               "suited architecture."),
        _not_applicable("change_architecture", "Train for more epochs."),
        _standardize(facts, "Normalize the inputs and check that the labels match the inputs."),
    ]
    return remedies


def _plateau(facts):
    saturating = facts.hidden_with(SATURATING)
    remedies = _initial_weights(facts) + _nonlinearity(facts)
    if facts.raw_inputs():
        remedies.append(_standardize(facts))
    if facts.finding.explained_by in ("saturation", "vanishing_gradient") and saturating:
        remedies.append(_relu_he(facts, saturating))
    if facts.plain_sgd():
        remedies += [_adam(), _raise_learning_rate(facts)]
    else:
        remedies += [_raise_learning_rate(facts), _adam()]
    remedies += [_relu_he(facts, saturating) if saturating or not facts.layers else None,
                 _normalize(facts), _standardize(facts, "Normalize the inputs (zero mean, unit variance).")]
    return remedies


def _saddle(facts):
    zero = facts.started_symmetric()
    symmetric = facts.symmetric_layers() or list(facts.evidence.get("stationary_layers") or [])
    remedies = [_random_init(facts, symmetric)] if zero else _variance_preserving(facts)
    remedies += _nonlinearity(facts)
    if facts.plain_sgd() or not facts.setup:
        remedies.append(_adam())
    remedies += [
        _not_applicable("escape_saddle", "Perturb the weights along the negative-curvature direction: "
                                         "StallMonitor(escape='perturb')."),
        _raise_learning_rate(facts),
        _random_init(facts, []) if not zero else None,
    ]
    return remedies


def _zero_gradient(facts):
    if facts.has("trainable_weights"):
        return [_not_applicable("change_architecture", "Set trainable=True on the layers to train (a pretrained "
                                                       "base may stay frozen, the new head must not), then "
                                                       "compile again.")]
    if facts.has("still_layers"):
        return [_not_applicable("fix_data", "Check the data the still layers read: two inputs fed the same rows "
                                            "(a siamese pair made of one image) give |a - b| = 0, whose slope is 0."),
                _not_applicable("fix_loss_function", "Or make the operation after them differentiable where the data "
                                                     "puts it (square the difference instead of its absolute value).")]
    if facts.has("cut_layers"):
        return [_not_applicable("change_architecture", "Replace the operation that passes no gradient by a "
                                                       "differentiable one, or let the gradient through it (a "
                                                       "straight-through estimator: x + "
                                                       "tf.stop_gradient(tf.round(x) - x))."),
                _not_applicable("change_architecture", "Or freeze the layers below it on purpose "
                                                       "(trainable=False), so they are not trained for nothing.")]
    remedies = []
    zero = facts.started_symmetric()
    if zero:
        remedies.append(_random_init(facts, facts.symmetric_layers()))
    if facts.output.get("activation") == "softmax" and facts.output.get("units") == 1:
        remedies.append(_one_unit_sigmoid(facts))
    remedies += [
        _not_applicable("fix_loss_function", "Check that the loss depends on the weights through "
                        "differentiable ops: argmax, round, casts to int, comparisons and tf.stop_gradient "
                        "pass no gradient."),
        _not_applicable("fix_labels", "Check that the labels fit the loss (for example one-hot rows for "
                        "categorical_crossentropy, class ids for sparse_categorical_crossentropy) and that "
                        "the loss is not constant."),
        _not_applicable("fix_loss_function", "Check that the layers meant to train are trainable "
                        "(`layer.trainable`) and that the model was compiled after setting it."),
    ]
    if not zero:
        remedies.append(_random_init(facts, []))
    return remedies


def _non_finite(facts):
    if facts.has("non_finite_validation_loss"):  # training is healthy: only the validation rows are bad
        return [_not_applicable("fix_data", "Find the validation rows that hold NaN or inf "
                                            "(np.isfinite(x_val).reshape(len(x_val), -1).all(axis=1), and y_val) "
                                            "and drop or impute them.")]
    # NaN or inf in the data: no learning rate helps, only the user can clean the rows.
    named = _non_finite_data(facts)
    remedies = [named]
    if named is None and facts.evidence.get("first_step") == 0:
        # Non-finite at the first step, before any update: no step size made it, the loss is
        # undefined at the initial outputs (a log or square root of a linear output below zero).
        remedies += _undefined_at_start(facts)
    remedies += [*_bounded_activations(facts), _lower_learning_rate(facts, "gradients grew before the NaN"),
                 _clip(facts)]
    if (facts.output.get("activation") in ("sigmoid", "softmax")
            and facts.output.get("loss_family") in ("binary", "categorical", "sparse")):
        remedies.append(Remedy("set_output_activation", None,
                               {"activation": "linear", "from_logits": True},
                               "Use a linear output with `from_logits=True` in the loss instead of a "
                               "softmax or sigmoid followed by a log."))
    remedies += [
        None if named else _not_applicable("fix_data", "Check inputs and labels for NaN or inf "
                                                       "(`np.isfinite(x).all()`)."),
        _not_applicable("fix_loss_function", "Guard log, sqrt and division against zero or negative "
                                             "arguments (add a small epsilon)."),
        _not_applicable("fix_loss_function", "With mixed precision, keep a LossScaleOptimizer and compute "
                                             "the loss in float32."),
    ]
    return remedies


def _undefined_at_start(facts):
    """A positive output for a loss of the user's own on a linear output, and guarding the loss."""
    remedies = []
    if facts.output.get("loss_family") is None and facts.output.get("activation") in (None, "linear"):
        remedies.append(Remedy("set_output_activation", None, {"activation": "softplus"},
                               "Make the outputs positive (activation='softplus'): the loss went non-finite at "
                               "the first step, before any update, so it is undefined at outputs of zero or "
                               "below (a log or square root of them)."))
    remedies.append(_not_applicable("fix_loss_function", "Guard log, sqrt and division in the loss against zero or "
                                                         "negative arguments (clip them to a small epsilon)."))
    return remedies


def _non_finite_data(facts):
    """The user's `fix_data` remedy naming what is non-finite, when the evidence says the data
    hold NaN or inf (the counts of a setup check, or the setup finding that explains this one);
    else None."""
    e = facts.evidence
    if facts.has("non_finite_targets"):
        rows = f" in {int(e['non_finite_rows'])} rows" if facts.has("non_finite_rows") else ""
        return _not_applicable("fix_data", f"The targets hold {int(e['non_finite_targets'])} NaN or inf "
                                           f"values{rows}: drop those rows or impute them "
                                           "(keep = np.isfinite(y).all(axis=-1)).")
    if facts.has("non_finite_inputs"):
        return _not_applicable("fix_data", f"The inputs hold {int(e['non_finite_inputs'])} NaN or inf values: "
                                           "impute them (column mean or median) or drop those rows "
                                           "(keep = np.isfinite(x).reshape(len(x), -1).all(axis=1)).")
    if facts.finding.explained_by == "unnormalized_input":
        return _not_applicable("fix_data", "Check the inputs for NaN or inf (np.isfinite(x).all()): the "
                                           "unnormalized_input finding names the input.")
    if facts.finding.explained_by == "label_mismatch":
        return _not_applicable("fix_data", "Check the targets for NaN or inf (np.isfinite(y).all()) and for "
                                           "class ids beyond the output: the label_mismatch finding names them.")
    return None


def _oscillation(facts):
    far_off = facts.has("ratio_to_chance") or facts.has("ratio_to_start")
    batch = int(facts.setup.get("batch_size") or DEFAULT_BATCH_SIZE)
    bigger = Remedy("change_batch_size", None, {"batch_size": batch * 4},
                    f"Use a larger batch size ({batch * 4}), which smooths the gradient.")
    remedies = []
    if facts.raw_inputs():
        remedies.append(_standardize(facts, "Normalize the inputs: badly scaled features make some "
                                            "directions far sharper than others."))
    momentum = facts.setup.get("momentum") or 0.0
    if facts.setup.get("optimizer") == "sgd" and momentum >= HIGH_MOMENTUM:
        remedies.append(_same_optimizer(facts, {"momentum": 0.9},
                                        f"Lower SGD's momentum from {momentum:g} to 0.9: a velocity averaged over "
                                        f"{1 / (1 - momentum):.0f} steps keeps pushing past the minimum and swings."))
    if batch <= SMALL_BATCH and not far_off:
        remedies.append(bigger)
    sentence = ("Lower the learning rate 10-100x (diagnostics.find_learning_rate picks it from a range "
                "test)." if far_off else None)
    lower = _lower_learning_rate(facts, "the steps overshoot")
    if sentence:
        lower = dataclasses.replace(lower, sentence=sentence)
    remedies += [lower, _clip(facts), bigger,
                 _standardize(facts, "Normalize the inputs: badly scaled features make some directions "
                                     "far sharper than others.")]
    return remedies


def _imbalance(facts):
    weights = Remedy("rebalance_classes", None, {"method": "class_weight"},
                     "Weight the loss by class: model.fit(..., class_weight=...) with balanced weights "
                     "(or zoo.losses.effective_number_class_weights(y)).")
    oversample = Remedy("rebalance_classes", None, {"method": "oversample"},
                        "Resample the training set: over-sample the minority classes "
                        "(zoo.data.RandomOverSampler, or zoo.data.SMOTE for synthetic samples).")
    focal = Remedy("set_loss", None, {"loss": "focal"},
                   "Use a focal loss: keras.losses.CategoricalFocalCrossentropy (or BinaryFocalCrossentropy).")
    if facts.output.get("loss_family") == "sparse":  # Keras' focal losses take one-hot labels only
        focal = _not_applicable("set_loss", "Use a focal loss: one-hot the labels (keras.utils.to_categorical) "
                                            "and use keras.losses.CategoricalFocalCrossentropy.")
    # Few minority rows: weighting them up multiplies the noise of a handful of examples, while
    # over-sampling (SMOTE) fills the class in; otherwise class weights are the cheapest cure.
    first = [oversample, weights] if (facts.evidence.get("minority_count") or math.inf) < 10 else [weights, oversample]
    return first + [
        focal,
        _not_applicable("fix_loss_function", "Adjust the logits by the class priors: "
                        "loss=zoo.losses.LogitAdjustedLoss(class_counts) (balanced softmax)."),
        _not_applicable("collect_data", "Collect more examples of the minority classes."),
    ]


def _one_unit_sigmoid(facts):
    params = {"activation": "sigmoid"}
    if facts.output.get("loss_family") not in (None, "binary"):
        params["loss"] = "binary_crossentropy"
    return Remedy("set_output_activation", facts.finding.layer or facts.output.get("layer"), params,
                  "For two classes use one sigmoid unit with binary cross-entropy.")


def _output_loss_mismatch(facts):
    target = facts.finding.layer or facts.output.get("layer")
    e = facts.evidence
    if facts.has("output_floor"):
        return _bounded_targets(facts, target)
    if facts.has("target_shape"):
        remedies = []
        if facts.output.get("activation") == "softmax" and list(e["target_shape"]) in ([], [1]):
            remedies.append(Remedy("set_loss", None, {"loss": "sparse_categorical_crossentropy"},
                                   "The targets are class ids: score the softmax with "
                                   "sparse_categorical_crossentropy."))
        return remedies + [_not_applicable("change_architecture", f"Make {target!r} predict the targets' shape "
                                                                  f"{tuple(e['target_shape'])} per row (for per-step "
                                                                  "targets, return_sequences=True).")]
    if facts.has("unbounded_rate_output"):
        return [Remedy("set_output_activation", target, {"activation": "exponential"},
                       f"Give {target!r} a log link (activation='exponential'), so every predicted rate is "
                       "positive."),
                Remedy("set_output_activation", target, {"activation": "softplus"}, "Or softplus.")]
    if facts.has("noise_after_output"):
        name = e["noise_after_output"]
        return [_not_applicable("change_architecture", f"Move {name!r} before the output layer."),
                Remedy("set_dropout", name, {"rate": 0.0}, f"Or switch {name!r} off (rate 0).")]
    if facts.has("softmax_axis"):
        return [Remedy("set_output_activation", target, {"activation": "softmax"},
                       f"Take the softmax of {target!r} over the classes (activation='softmax', the last "
                       "axis), not over the batch.")]
    if e.get("softmax_units") == 1:
        return [_one_unit_sigmoid(facts),
                Remedy("set_output_units", target, {"units": 2, "activation": "softmax",
                                                    "loss": "sparse_categorical_crossentropy"},
                       "Or use 2 softmax units with sparse categorical cross-entropy.")]
    if facts.has("class_loss_units"):
        if facts.output.get("activation") == "sigmoid":  # the output is right: only the loss is not
            return [Remedy("set_loss", None, {"loss": "binary_crossentropy"},
                           "Use binary cross-entropy: the output is already one sigmoid unit."),
                    _not_applicable("change_architecture", "Or give the output one unit per class, with softmax.")]
        return [Remedy("set_output_activation", target, {"activation": "sigmoid", "loss": "binary_crossentropy"},
                       "For two classes use binary cross-entropy on one sigmoid unit."),
                _not_applicable("change_architecture", "Or give the output one unit per class, with softmax.")]
    if facts.has("regression_loss_on_classes"):
        loss = e.get("class_loss", "categorical_crossentropy")
        return [Remedy("set_loss", None, {"loss": loss},
                       f"Use {loss} for class labels (keep the output activation).")]
    if facts.has("probability_output_units"):
        return [Remedy("set_output_activation", target, {"activation": "linear"},
                       "Remove the output activation (use logits), keeping the loss."),
                Remedy("set_loss", None, {"from_logits": False},
                       "Or use a loss that takes probabilities (from_logits=False).")]
    wrong = next((key[:-len("_output_units")] for key in e if key.endswith("_output_units")), None)
    if wrong is not None:
        probability = "sigmoid" if facts.output.get("loss_family") == "binary" else "softmax"
        logits = Remedy("set_loss", None, {"from_logits": True},
                        "Pass from_logits=True to the loss and keep the output linear.")
        squash = Remedy("set_output_activation", target, {"activation": probability},
                        f"Or use a {probability} output activation.")
        if wrong == "linear":
            return [logits, squash]
        # An unbounded non-linear output (ReLU...) is not logits either: squash it.
        return [squash, Remedy("set_output_activation", target, {"activation": "linear", "from_logits": True},
                               "Or use a linear output with from_logits=True in the loss.")]
    if facts.has("sigmoid_units"):
        return [Remedy("set_output_activation", target, {"activation": "softmax"},
                       "Use a softmax output for one class per example."),
                _not_applicable("fix_labels", "For several labels per example use binary cross-entropy "
                                              "with the sigmoid.")]
    if facts.has("softmax_units"):
        return [Remedy("set_output_activation", target, {"activation": "sigmoid"},
                       "For multi-label targets use a sigmoid output."),
                Remedy("set_loss", None, {"loss": "categorical_crossentropy"},
                       "For one class per example use categorical cross-entropy.")]
    return []


def _bounded_targets(facts, target):
    e = facts.evidence
    linear = Remedy("set_output_activation", target, {"activation": "linear"},
                    "Use a linear output (no activation) for regression targets outside the output's range.")
    low, high = e.get("label_min"), e.get("label_max")
    scale = Remedy("scale_targets", target, {"low": low, "high": high},
                   "Or scale the targets into the output's range (for example to [0, 1] for a sigmoid) and "
                   "scale predictions back (the library does it inside the model).")
    order = [linear, scale]
    if None not in (low, high, e.get("output_min"), e.get("output_max")):
        span, room = high - low, e["output_max"] - e["output_min"]
        if room > 0 and span <= WIDE_TARGET_FACTOR * room:
            order = [scale, linear]
    if not facts.has("output_max"):  # the stall's floor: the loss may not fit the output either
        order.append(_not_applicable("fix_loss_function", "Check that the loss fits the output: mse/mae "
                                     "for a linear output, crossentropy for sigmoid/softmax outputs with "
                                     "class labels."))
    return order


def _label_mismatch(facts):
    e = facts.evidence
    target = facts.finding.layer or facts.output.get("layer")
    family = facts.output.get("loss_family")
    if facts.has("non_finite_targets"):
        return [_non_finite_data(facts)]
    if facts.has("target_scale_ratio"):
        return [_not_applicable("fix_data", "Apply the same target transform to both splits (the log, the "
                                            "scaler fitted on the training targets), and invert it on predictions.")]
    if facts.has("matched_accuracy"):
        return [_not_applicable("fix_labels", "Encode the training and validation labels with one mapping, fitted "
                                              "once on the training labels (a LabelEncoder or StringLookup)."),
                _not_applicable("fix_data", "Check the label list of each split: the same order, the same classes.")]
    if facts.has("relabelled_share"):
        return [_not_applicable("fix_data", "Shuffle inputs and labels together: one dataset of (x, y) pairs, "
                                            "tf.data.Dataset.from_tensor_slices((x, y)).shuffle(n), not two "
                                            "shuffled datasets zipped.")]
    if facts.has("output_max"):
        return _bounded_targets(facts, target)
    if facts.has("target_scale"):
        mean, std = float(e.get("target_mean", 0.0)), float(e.get("target_std") or 1.0)
        return [Remedy("scale_targets", target, {"mean": mean, "std": std},
                       f"Standardize the targets ({mean:.3g} +- {std:.3g}): the model learns them at unit scale "
                       "and a Rescaling layer after the output gives predictions back in the targets' units."),
                _not_applicable("fix_data", "Or standardize y yourself (y - mean) / std with the training "
                                            "set's mean and std, and invert it on the predictions.")]
    if facts.has("label_columns") and facts.has("output_units"):
        return [Remedy("set_loss", None, {"loss": "sparse_categorical_crossentropy"},
                       "Use sparse_categorical_crossentropy for class ids."),
                _not_applicable("fix_labels", f"Or one-hot encode them: keras.utils.to_categorical(y, "
                                              f"{int(e['output_units'])}).")]
    if facts.has("label_columns"):
        return [Remedy("set_loss", None, {"loss": "categorical_crossentropy"},
                       "Use categorical_crossentropy for one-hot labels."),
                _not_applicable("fix_labels", "Or pass class ids: y.argmax(axis=-1).")]
    if facts.has("fractional_labels"):
        return [_not_applicable("fix_labels", "Pass integer class ids 0..num_classes-1, unscaled."),
                _not_applicable("fix_labels", "Scale the inputs, never the labels.")]
    if facts.has("labels_out_of_range"):
        units = int(e.get("label_max", 0)) + 1
        return [Remedy("set_output_units", target, {"units": units},
                       f"Give the output one unit per class ({units} or more)."),
                _not_applicable("fix_labels", "Or map the labels to 0..num_classes-1.")]
    if facts.has("distinct_labels"):
        return [_not_applicable("fix_labels", "Check how the labels were loaded and encoded (print np.unique(y))."),
                _not_applicable("fix_data", "Shuffle the data before splitting, so each split holds every class.")]
    if family in ("categorical", "binary") or facts.has("label_min"):
        return [_not_applicable("fix_labels", "Use class ids or 0/1 targets for a classification loss."),
                Remedy("set_loss", None, {"loss": "mean_squared_error"},
                       "For a regression target use a regression loss (mean squared error)."),
                Remedy("set_output_activation", target, {"activation": "linear"},
                       "And a linear output, which can reach every target.")]
    return []


def _unnormalized_input(facts):
    e = facts.evidence
    if facts.has("non_finite_inputs"):
        return [_non_finite_data(facts),
                _not_applicable("fix_data", "Look for a division by zero or a log of zero in the preprocessing.")]
    if facts.has("constant_value"):
        return [_not_applicable("fix_data", "Check the loading and preprocessing (an integer division "
                                            "x // 255 gives zeros)."),
                _not_applicable("fix_data", "Print a few rows before fit.")]
    if facts.has("unadapted_normalization"):
        layer = e["unadapted_normalization"]
        return [_standardize(facts, f"Call {layer}.adapt(x_train) before fit (the library adapts a Normalization "
                                    f"to the training data in its trial): never adapted, {layer!r} passes the raw "
                                    "values on.")]
    if facts.has("stale_normalization"):
        return [_standardize(facts, "Standardize each feature before the model (a keras.layers.Normalization "
                                    "adapted to the training data): no moving average then has to learn their scale."),
                _not_applicable("change_architecture", "Or let the BatchNormalization's moving averages catch up: "
                                                       "momentum 0.9-0.99, and training=True in a custom train_step.")]
    if facts.has("scale_ratio"):
        return [_not_applicable("fix_data", "Apply the same preprocessing (the scaler fitted on training "
                                            "data) to both."),
                _standardize(facts, "Or normalize inside the model, so every input goes through the same layer.")]
    standardize = _standardize(facts, "Standardize each feature (a keras.layers.Normalization adapted to the "
                                      "training data as the first layer, or sklearn StandardScaler).")
    largest = e.get("input_max_abs")
    if largest and facts.has("after_rescaling"):
        # The model's own Rescaling makes the scale: undo it where the data enter (or drop it).
        return [Remedy("standardize_inputs", None, {"method": "rescale", "scale": 1.0 / float(largest)},
                       f"The data are already scaled and the model's Rescaling scales them again: remove "
                       f"one of the two (the library inserts Rescaling({1.0 / float(largest):.3g}) before it)."),
                standardize]
    if largest and (e.get("feature_scale_ratio") or 1.0) <= setup_data.MAX_FEATURE_SCALE_RATIO:
        # Features on one scale (images): dividing by the largest value keeps their relations.
        return [standardize,
                Remedy("standardize_inputs", None, {"method": "rescale", "scale": 1.0 / float(largest)},
                       f"Or scale the inputs to [-1, 1] (keras.layers.Rescaling(1 / {largest:g})).")]
    return [standardize]


def _suspicious_config(facts):
    e = facts.evidence
    if facts.has("stable_max"):
        return [_lower_learning_rate(facts), _clip(facts),
                _not_applicable("change_architecture", "Or warm the learning rate up from a small value "
                                                       "with a schedule.")]
    if facts.has("stable_min"):
        return [_raise_learning_rate(facts)]
    if facts.has("clipped_step"):
        argument = next((key for key in ("clipvalue", "clipnorm", "global_clipnorm") if key in e), "clipvalue")
        return [Remedy("clip_gradients", None, {"global_clipnorm": CLIPNORM},
                       f"Drop {argument}={e[argument]:g}, which bounds every step to {e['clipped_step']:.2g}; clip "
                       f"by the global norm at {CLIPNORM:g} instead, which only cuts rare spikes.")]
    if facts.has("input_dropout"):
        return [Remedy("set_dropout", facts.finding.layer, {"rate": float(e["max_input_dropout"])},
                       f"Drop at most {e['max_input_dropout']:.0%} of the inputs in {facts.finding.layer!r} "
                       "(or remove the layer)."),
                Remedy("add_regularization", None, {"l2": L2_FACTOR},
                       "Regularize with weight decay instead.")]
    if facts.has("max_dropout"):
        argument = next((key for key in e if key != "max_dropout"), "rate")
        # Every layer above the cap at once (no target): one finding per layer, one edit for all,
        # else the trial that lowers one layer still meets the others' findings.
        return [Remedy("set_dropout", None, {"rate": DROPOUT_RATE, "argument": argument,
                                             "above": float(e["max_dropout"])},
                       f"Use {argument} of {e['max_dropout']:g} or less in every layer above it "
                       f"(about {DROPOUT_RATE:g}; 0.1-0.3 for conv layers)."),
                Remedy("add_regularization", None, {"l2": L2_FACTOR},
                       "Regularize with weight decay or more data instead.")]
    if facts.has("stacked_linear_layers"):
        return [Remedy("set_activation", facts.finding.layer, {"activation": "relu"},
                       f"Give {facts.finding.layer!r} an activation (activation='relu'), or add one after it."),
                _not_applicable("change_architecture", "Or merge the two layers into one.")]
    if facts.has("decayed_learning_rate"):
        return [_not_applicable("change_architecture", "Decay over the whole run: a `decay_steps` near the run's "
                                                       "total steps, or a cosine schedule over all its steps."),
                Remedy("set_learning_rate", None, {"learning_rate": None},
                       "Or train at a constant rate: diagnostics.find_learning_rate picks it from a range test.")]
    if facts.has("applied_updates"):
        return [_not_applicable("change_architecture", "Apply the gradients in your train_step: "
                                                       "self.optimizer.apply(gradients, self.trainable_variables).")]
    if facts.has("zero_loss_weight_outputs"):
        return [_not_applicable("fix_loss_function", "Give every output you want trained a positive loss "
                                                     "weight in compile(loss_weights=...).")]
    if facts.has("batch_majority_share"):
        return [_not_applicable("fix_data", "Shuffle the training data before batching: "
                                            "dataset.shuffle(buffer_size=number of rows).batch(...).")]
    if facts.has("symmetric_init_layers"):
        return [_random_init(facts, facts.symmetric_layers() or list(e["symmetric_init_layers"]))]
    if facts.has("dead_start_layers"):
        ends = list(e.get("zero_branch_ends") or [])
        linear = [Remedy("set_activation", None, {"activation": "linear", "layers": ends},
                         f"Drop the ReLU of {', '.join(repr(n) for n in ends)}: a zero-initialized last layer "
                         "of a residual branch starts the block as the identity only when it is linear.")] if ends else []
        return linear + [_random_init(facts, list(e["dead_start_layers"]))]
    if facts.has("capped_unit_norm"):
        names = list(e.get("capped_layers") or [facts.finding.layer])
        return [Remedy("set_constraint", None, {"kernel_constraint": None, "layers": names},
                       f"Remove the kernel constraint from {', '.join(repr(n) for n in names)}: its cap of "
                       f"{e['capped_unit_norm']:g} keeps every unit far smaller than it starts."),
                Remedy("set_constraint", None, {"kernel_constraint": {"class_name": "MaxNorm",
                                                                      "config": {"max_value": 3.0}},
                                                "layers": names},
                       "Or cap at 3 (keras.constraints.MaxNorm(3)), above the initial norms.")]
    if facts.has("zero_sample_weights"):
        return [_not_applicable("fix_data", "Fix the sample weights (or class weights): every row kept weighs 0. "
                                            "Print np.unique(sample_weight); a mask such as (y == k) must "
                                            "name labels the data holds.")]
    if facts.has("loss_reduction"):
        return [Remedy("set_loss", None, {"loss": e.get("loss_name")},
                       f"Use {e.get('loss_name')} with its default reduction, the mean over the batch: summed, "
                       "every step is the batch size times too large."),
                _lower_learning_rate(facts, "a summed loss's steps grow with the batch size")]
    if facts.has("batchnorm_batch_size"):
        return [Remedy("change_batch_size", None, {"batch_size": DEFAULT_BATCH_SIZE},
                       f"Train on batches of {DEFAULT_BATCH_SIZE}: BatchNormalization over one row outputs "
                       "its beta for every input."),
                _not_applicable("change_architecture", "Or use LayerNormalization, which normalizes each "
                                                       "row on its own.")]
    if facts.has("unreached_peak"):
        peak = float(e["unreached_peak"])
        return [Remedy("set_learning_rate", None, {"learning_rate": peak},
                       f"Count the schedule's warm-up and decay steps in optimizer steps (ceil(rows / batch_size) "
                       f"per epoch), not samples; or train at its peak rate, {peak:.3g}."),
                _not_applicable("change_architecture", "Or set the schedule's steps from this run's length: "
                                                       "epochs x steps per epoch.")]
    if facts.has("stopped_while_falling"):
        monitored = "val_loss" if e.get("validation_watched", 1) else "loss"
        return [Remedy("early_stopping", None, {"monitor": monitored, "mode": "min", "patience": STOP_PATIENCE,
                                                "restore_best_weights": True},
                       f"Stop on {monitored} with mode='min' (or 'auto') and min_delta=0: "
                       f"keras.callbacks.EarlyStopping(monitor={monitored!r}, mode='min', "
                       f"patience={STOP_PATIENCE}, restore_best_weights=True). A stop that watches "
                       "accuracy takes mode='max'.")]
    if facts.has("adaptive_epsilon"):
        return [_same_optimizer(facts, {"epsilon": DEFAULT_EPSILON},
                                f"Use {facts.setup.get('optimizer') or 'adam'}'s default epsilon "
                                f"({DEFAULT_EPSILON:g}) instead of {e['adaptive_epsilon']:g}, which makes every "
                                "step plain SGD at a small rate.")]
    if facts.has("decay_bound"):
        return [_same_optimizer(facts, {"weight_decay": DEFAULT_WEIGHT_DECAY},
                                f"Use a weight decay of {DEFAULT_WEIGHT_DECAY:g} (AdamW's default) instead of "
                                f"{e['weight_decay']:g}, which holds every weight under about {e['decay_bound']:.2g}.")]
    if facts.has("skipped_share"):
        return [_not_applicable("change_architecture", f"Use strides no larger than the kernel in "
                                                       f"{', '.join(repr(n) for n in e['skipping_layers'])} "
                                                       "(or a stride-1 convolution followed by pooling).")]
    if facts.has("label_smoothing"):
        return [Remedy("set_loss", None, {"label_smoothing": LABEL_SMOOTHING},
                       f"Use label_smoothing={LABEL_SMOOTHING:g} instead of {e['label_smoothing']:g}.")]
    if facts.has("bottleneck_units"):
        wide = -(-int(e["output_units"]) // BOTTLENECK_SHARE)
        return [_not_applicable("change_architecture", f"Widen {facts.finding.layer!r} from {e['bottleneck_units']} "
                                                       f"to at least {wide} units, or remove it.")]
    if facts.has("steps_per_epoch"):
        return [_mini_batches(int(e["steps_per_epoch"]))]
    if facts.has("repeated_rows"):
        return [_not_applicable("fix_data", f"Feed the whole training set: the first epoch showed {e['distinct_rows']} "
                                            f"distinct rows, each about {e['repeated_rows']:.0f} times. Remove a "
                                            "`take()` or `shard()` left in the pipeline, and check that "
                                            "`steps_per_epoch` x batch size is about the number of training rows."),
                _not_applicable("collect_data", "If that is all the data there is, collect more of it.")]
    if facts.has("input_noise_ratio"):
        stddev = float(e.get("feature_std", 1.0)) / 10
        return [Remedy("set_dropout", facts.finding.layer, {"rate": stddev, "argument": "stddev"},
                       f"Lower the noise of {facts.finding.layer!r} to a tenth of the features' spread "
                       f"(stddev {stddev:.2g}): at {e['input_noise_ratio']:.3g} times their spread it drowns "
                       "the signal."),
                _not_applicable("change_architecture", "Or remove the noise layer.")]
    if facts.has("grown_learning_rate"):
        start = e.get("initial_learning_rate")
        return [Remedy("set_learning_rate", None, {"learning_rate": start},
                       f"Train at the rate the schedule started from ({start:.3g}) instead of one that grows."),
                _not_applicable("change_architecture", "Or make the schedule decay: a `decay_rate` below 1.")]
    if facts.has("small_kernel_scale"):
        return _variance_preserving(facts) + [_normalize(facts)]
    if facts.has("validation_rows_in_training"):
        return [_not_applicable("fix_data", "Hold out rows the model never trains on (validation_split, "
                                            "or a separate split)."),
                _not_applicable("fix_data", "Split before any resampling or augmentation, so copies do not "
                                            "leak across.")]
    return []


_CHOOSERS = {
    "vanishing_gradient": _vanishing,
    "exploding_gradient": _exploding,
    "dead_relu": _dead_relu,
    "saturation": _saturation,
    "overfitting": _overfitting,
    "underfitting": _underfitting,
    "plateau": _plateau,
    "saddle_point": _saddle,
    "oscillation": _oscillation,
    "non_finite": _non_finite,
    "class_imbalance": _imbalance,
    "zero_gradient": _zero_gradient,
    "output_loss_mismatch": _output_loss_mismatch,
    "label_mismatch": _label_mismatch,
    "unnormalized_input": _unnormalized_input,
    "suspicious_config": _suspicious_config,
}
