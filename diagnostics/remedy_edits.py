"""Applies `Remedy` objects to a fresh clone of a compiled model: `apply_remedies`, `EditedModel`.

The user's model is never touched. Sequential and functional models are rebuilt with
`keras.models.clone_model` (`clone_function` edits a layer's config, `call_function` inserts
layers after it or before the inputs); a Sequential model is rebuilt from its layer list, since
`call_function` is for functional models only. Every layer that an edit does not re-initialize
keeps the original's weights (the original is compiled and untrained: its initial weights). A
subclassed model gets only the remedies that need no graph edit (optimizer, learning rate, loss,
clipping, class weights or resampling, early stopping, batch size).

Example:

>>> from diagnostics.remedy import Remedy
>>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="sigmoid", name="hidden"),
...                           keras.layers.Dense(1, activation="sigmoid", name="out")])
>>> model.compile(optimizer="sgd", loss="binary_crossentropy")
>>> edited = apply_remedies(model, [Remedy("set_activation", "hidden", {"activation": "relu",
...                                        "kernel_initializer": "he_normal"})])
>>> edited.changes
["layer 'hidden': activation sigmoid → relu; kernel_initializer glorot_uniform → he_normal"]
>>> model.get_layer("hidden").activation.__name__
'sigmoid'
"""

import dataclasses

import keras
import numpy as np

from diagnostics import remedies as remedies_module
from diagnostics.learning_rate import find_learning_rate
from diagnostics.remedies import describe_setup, initializer_name, kernel_layer
from diagnostics.remedy import OPTIMIZER_SETTINGS, Remedy
from diagnostics.setup_model import ACTIVATION_RANGES, LINEAR_MAPS
from zoo import data as zoo_data

# Actions that rebuild the graph; the others change only compile or fit arguments.
GRAPH_ACTIONS = ("set_activation", "set_initializer", "add_normalization", "set_output_activation",
                 "set_output_units", "add_regularization", "add_dropout", "set_dropout",
                 "set_constraint", "standardize_inputs", "scale_targets")
# Targets scaled into a bounded output keep this share of its range free at each end: the
# asymptotes themselves are never reached.
TARGET_MARGIN = 0.05
# Steps of the range test that picks a learning rate (`find_learning_rate`'s default).
RANGE_TEST_STEPS = 100
# The range test's seed, so that one model and data always get one rate.
RANGE_TEST_SEED = 0
_SAMPLERS = {"oversample": zoo_data.RandomOverSampler, "undersample": zoo_data.RandomUnderSampler,
             "smote": zoo_data.SMOTE}
_LOSS_ALIASES = {"mse": "mean_squared_error", "mae": "mean_absolute_error",
                 "mape": "mean_absolute_percentage_error", "msle": "mean_squared_logarithmic_error"}
# Layers that drop or perturb what they pass on while training: their rate or stddev is `set_dropout`'s.
_NOISE_LAYERS = (keras.layers.Dropout, keras.layers.SpatialDropout1D, keras.layers.SpatialDropout2D,
                 keras.layers.SpatialDropout3D, keras.layers.GaussianDropout, keras.layers.GaussianNoise,
                 keras.layers.AlphaDropout)
# Keras has no sparse focal loss: class ids need one-hot labels first, which only the user can do.
_FOCAL = {"binary": "binary_focal_crossentropy", "categorical": "categorical_focal_crossentropy"}


@dataclasses.dataclass
class EditedModel:
    """A clone with remedies applied.

    Attributes:
        model: a fresh compiled clone, untrained; its weights equal the original's wherever a
            layer is unchanged (or only its activation, regularizer or dropout rate changed).
        fit_kwargs: what `fit` needs besides (`class_weight`, `batch_size`, `callbacks`).
        changes: the edits in a person's words.
        data: `(x, y)` resampled by a `rebalance_classes` remedy to fit on instead of the
            user's data, or None.
    """

    model: keras.Model
    fit_kwargs: dict
    changes: list
    data: "tuple | None" = None


def apply_remedies(model, remedies, x=None, y=None):
    """Applies `remedies` to a fresh compiled clone of `model`.

    Args:
        model: a compiled `keras.Model`, untrained. It is never changed.
        remedies: `Remedy` objects (or their dicts), all applicable.
        x: training inputs (arrays), needed by `standardize_inputs` (a `Normalization` layer is
            adapted on them), by resampling and by a learning rate left to the range test.
        y: training targets, needed by `rebalance_classes` and by `scale_targets` without bounds.

    Returns:
        An `EditedModel`.

    Raises:
        TypeError: `model` is not a Keras model, or a remedy is not a `Remedy`.
        ValueError: `model` is not compiled; a remedy is not applicable, needs data that was not
            given, targets a layer the model does not have, or edits the graph of a subclassed
            model.

    Example:

    >>> from diagnostics.remedy import Remedy
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    >>> model.compile(optimizer=keras.optimizers.SGD(5.0), loss="mse")
    >>> apply_remedies(model, [Remedy("clip_gradients", params={"clipnorm": 1.0})]).changes
    ['optimizer SGD: clipnorm None → 1']
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"`model` must be a keras.Model. Received: model={model!r}")
    if not getattr(model, "compiled", False) or getattr(model, "optimizer", None) is None:
        raise ValueError(f"`model` must be compiled (apply_remedies keeps its compile settings). "
                         f"Received: model={model.name!r}, not compiled")
    remedies = [Remedy.from_dict(r) if isinstance(r, dict) else r for r in remedies]
    for remedy in remedies:
        if not isinstance(remedy, Remedy):
            raise TypeError(f"`remedies` must hold Remedy objects. Received: remedies={remedies!r}")
        if not remedy.applicable:
            raise ValueError(f"Remedy {remedy.action!r} cannot be applied by the library "
                             f"({remedy.sentence}). Received: remedies={remedies!r}")
    plan = _Plan(model, x, y)
    for remedy in remedies:
        _HANDLERS[remedy.action](plan, remedy)
    return plan.build()


class _Plan:
    """What the remedies ask for, gathered before one clone is built."""

    def __init__(self, model, x, y):
        self.model, self.x, self.y = model, x, y
        self.setup = describe_setup(model)
        self.kind = self.setup["model_type"]
        self.layer_config = {}   # layer name -> {config key: new value}
        self.reinitialized = set()  # layer names whose weights start from their (new) initializers
        self.replacement = {}    # layer name -> a factory for a layer of another class
        self.after = {}          # layer name -> [factories of layers inserted after it]
        self.before = {}         # layer name -> [factories of layers inserted before it]
        self.before_inputs = []  # factories (input index -> layer) inserted after every input
        self.optimizer = dict(model.optimizer.get_config())
        self.optimizer_class = type(model.optimizer)
        self.rate_bounds = None  # (low, high) for a rate the range test picks, or None
        self.loss = model.loss
        self.loss_edits = {}
        self.fit_kwargs, self.changes, self.data = {}, [], None
        self.graph_remedy = None

    # -- reading the model -------------------------------------------------------------------------

    def layer(self, name, remedy):
        try:
            return self.model.get_layer(name)
        except ValueError:
            raise ValueError(f"Remedy {remedy.action!r} targets layer {name!r}, which the model does not "
                             f"have. Received: target={name!r}") from None

    def targets(self, remedy, default):
        """Layer names a layer remedy edits: its target, its `layers`, or `default` (filtered by
        `replace`, the activations to replace)."""
        if remedy.target is not None:
            names = [remedy.target]
        elif remedy.params.get("layers"):
            names = list(remedy.params["layers"])
        else:
            replace = remedy.params.get("replace")
            names = [layer["name"] for layer in self.setup["layers"] if layer["name"] in default
                     and (replace is None or layer.get("activation") in replace)]
        for name in names:
            self.layer(name, remedy)
        if not names:
            raise ValueError(f"Remedy {remedy.action!r} finds no layer to change in this model. "
                             f"Received: params={remedy.params!r}")
        return names

    def hidden(self):
        return [layer["name"] for layer in self.setup["layers"] if layer.get("hidden")]

    def output_layer(self, remedy):
        if remedy.target is not None:
            return remedy.target
        outputs = self.setup["outputs"]
        if len(outputs) != 1 or outputs[0]["layer"] is None:
            raise ValueError(f"Remedy {remedy.action!r} needs a target: the model has "
                             f"{len(outputs)} outputs. Received: target=None")
        return outputs[0]["layer"]

    def require_graph(self, remedy):
        if self.kind == "subclassed":
            raise ValueError(f"Remedy {remedy.action!r} edits the model's layers, which a subclassed "
                             f"model does not expose. Received: model={type(self.model).__name__}")
        self.graph_remedy = remedy

    # -- recording edits ---------------------------------------------------------------------------

    def set_config(self, name, key, value, reinitialize=False):
        self.layer_config.setdefault(name, {})[key] = value
        if reinitialize:
            self.reinitialized.add(name)

    def current(self, name, key):
        """A layer's config value as the plan leaves it so far."""
        if key in self.layer_config.get(name, {}):
            return self.layer_config[name][key]
        return self.model.get_layer(name).get_config().get(key)

    def insert_after(self, name, factory):
        self.after.setdefault(name, []).append(factory)

    def insert_before(self, name, factory):
        self.before.setdefault(name, []).append(factory)

    # -- building ----------------------------------------------------------------------------------

    def build(self):
        model = self.model
        if self.graph_remedy is None:
            clone = _plain_clone(model)
        elif self.kind == "sequential":
            clone = self._sequential()
        else:
            clone = self._functional()
        self._copy_weights(clone)
        self._describe_layer_changes()
        self._compile(clone)
        if self.rate_bounds is not None:
            self._pick_learning_rate(clone)
            self._compile(clone)
        return EditedModel(clone, self.fit_kwargs, self.changes, self.data)

    def _clone_layer(self, layer):
        if layer.name in self.replacement:
            return self.replacement[layer.name]()
        config = layer.get_config()
        config.update(self.layer_config.get(layer.name, {}))
        return layer.__class__.from_config(config)

    def _sequential(self):
        model = self.model
        layers = []
        if model.built and model.inputs:
            tensor = model.inputs[0]
            layers.append(keras.Input(batch_shape=tensor.shape, dtype=tensor.dtype))
        layers += [factory(0) for factory in self.before_inputs]
        for layer in model.layers:
            layers += [factory() for factory in self.before.get(layer.name, [])]
            layers.append(self._clone_layer(layer))
            layers += [factory() for factory in self.after.get(layer.name, [])]
        return keras.Sequential(layers, name=model.name)

    def _functional(self):
        model = self.model
        inputs = keras.tree.map_structure(
            lambda t: keras.Input(batch_shape=t.shape, dtype=t.dtype, name=getattr(t, "name", None)),
            model.input)
        flat_inputs = keras.tree.flatten(inputs)
        fed = {}
        for index, tensor in enumerate(flat_inputs if self.before_inputs else []):
            source = tensor
            for factory in self.before_inputs:
                tensor = factory(index)(tensor)
            fed[id(source)] = tensor
        inserted = {}  # layer name -> the inserted layers, created once (a shared layer shares them)

        def clone_function(layer):
            if not isinstance(layer, keras.layers.Layer):
                return layer.__class__.from_config(layer.get_config())
            return self._clone_layer(layer)

        def call_function(layer, *args, **kwargs):
            args = keras.tree.map_structure(lambda t: fed.get(id(t), t), args)
            kwargs = keras.tree.map_structure(lambda t: fed.get(id(t), t), kwargs)
            if layer.name in self.before:
                key = ("before", layer.name)
                if key not in inserted:
                    inserted[key] = [factory() for factory in self.before[layer.name]]
                first, *rest = args
                for extra in inserted[key]:
                    first = extra(first)
                args = (first, *rest)
            out = layer(*args, **kwargs)
            if layer.name in self.after:
                if layer.name not in inserted:
                    inserted[layer.name] = [factory() for factory in self.after[layer.name]]
                for extra in inserted[layer.name]:
                    out = extra(out)
            return out

        return keras.models.clone_model(model, input_tensors=inputs, clone_function=clone_function,
                                        call_function=call_function)

    def _copy_weights(self, clone):
        if not self.model.built:
            return
        if not clone.built or len(clone.weights) != len(self.model.weights):
            if self.x is None:
                raise ValueError("The clone of a subclassed model is built by calling it on `x`. "
                                 "Received: x=None")
            clone(keras.tree.map_structure(lambda leaf: np.asarray(leaf)[:1], self.x))
        if self.graph_remedy is None:
            clone.set_weights(self.model.get_weights())
            return
        for layer in self.model.layers:
            if layer.name in self.reinitialized or not layer.weights:
                continue
            twin = clone.get_layer(layer.name)
            values = layer.get_weights()
            if [w.shape for w in twin.get_weights()] == [v.shape for v in values]:
                twin.set_weights(values)

    def _describe_layer_changes(self):
        """One line per edited layer, in the order of the edits, before the other changes."""
        lines = []
        for name, edits in self.layer_config.items():
            original = self.model.get_layer(name).get_config()
            parts = [f"{key} {_show(original.get(key))} → {_show(value)}" for key, value in edits.items()]
            lines.append(f"layer {name!r}: " + "; ".join(parts))
        self.changes[:0] = lines

    def _compile(self, clone):
        """Compiles `clone` as the original was, with a fresh optimizer (its own state) and the
        edited optimizer config and loss."""
        optimizer = self.optimizer_class.from_config(dict(self.optimizer))
        config = self.model.get_compile_config()
        if not config:
            clone.compile(optimizer=optimizer, loss=self._loss() if self.loss_edits else self.model.loss)
            return
        config = dict(config, optimizer=keras.optimizers.serialize(optimizer))
        if self.loss_edits:
            config["loss"] = keras.losses.serialize(self._loss())
        clone.compile_from_config(config)

    def _loss(self):
        loss = self.loss
        name = self.loss_edits.get("loss")
        if name is None:
            if isinstance(loss, str):
                name = loss
            elif isinstance(loss, keras.losses.Loss):
                name = loss.get_config().get("name") or type(loss).__name__
            else:
                name = getattr(loss, "__name__", None)
        if name is None or isinstance(self.loss, (dict, list, tuple)):
            raise ValueError(f"set_loss needs one loss with a Keras name. Received: loss={self.loss!r}")
        name = _LOSS_ALIASES.get(name, name)
        cls = getattr(keras.losses, "".join(part.capitalize() for part in name.split("_")), None)
        if cls is None or not isinstance(cls, type):
            cls = type(keras.losses.get(name)) if isinstance(keras.losses.get(name), keras.losses.Loss) else None
        if cls is None:
            raise ValueError(f"set_loss does not know the loss {name!r}. Received: loss={name!r}")
        kwargs = {}
        from_logits = self.loss_edits.get("from_logits")
        if from_logits is None and isinstance(loss, keras.losses.Loss):
            from_logits = loss.get_config().get("from_logits")
        if from_logits is not None and "from_logits" in cls().get_config():
            kwargs["from_logits"] = bool(from_logits)
        smoothing = self.loss_edits.get("label_smoothing")
        if smoothing is None and isinstance(loss, keras.losses.Loss):
            smoothing = loss.get_config().get("label_smoothing")
        if smoothing is not None and "label_smoothing" in cls().get_config():
            kwargs["label_smoothing"] = float(smoothing)
        return cls(**kwargs)

    def _pick_learning_rate(self, clone):
        low, high = self.rate_bounds
        if self.x is None:
            rate = high if high is not None else low
            if rate is None:
                raise ValueError("set_learning_rate with learning_rate=None runs a range test on `x`. "
                                 "Received: x=None")
            how = "bound of the stable range (no data for a range test)"
        else:
            test = find_learning_rate(clone, self.x, self.y, batch_size=self.fit_kwargs.get("batch_size"),
                                      steps=RANGE_TEST_STEPS, seed=RANGE_TEST_SEED)
            rate = test.suggestion
            if rate is None:
                rate = high if high is not None else low
            if rate is None:
                raise ValueError("The range test found no learning rate (the loss never fell).")
            rate = float(rate)
            how = "range test"
            if high is not None and rate > high:
                rate, how = high, "range test, capped"
            elif low is not None and rate < low:
                # Below the floor the valley says nothing (the loss barely moved): the cap is the
                # rate the remedy names, else the floor.
                rate, how = (high, "range test below the range: its cap") if high is not None else (
                    low, "range test, raised")
        before = self.model.optimizer.get_config().get("learning_rate")
        _set_rate(self.optimizer, float(rate))
        self.changes.append(f"optimizer {self.optimizer_class.__name__}: learning_rate {_show(before)} → "
                            f"{_show(float(rate))} ({how})")


def _plain_clone(model):
    try:
        return keras.models.clone_model(model)
    except Exception as error:  # any failure of get_config/from_config
        raise ValueError(f"`model` cannot be cloned with keras.models.clone_model ({type(error).__name__}: "
                         f"{error}). Received: model={type(model).__name__}") from error


def _show(value):
    """A config value for a person: initializers and regularizers by their snake_case name."""
    if isinstance(value, dict) and "class_name" in value:
        return initializer_name(value)
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def _set_rate(config, rate):
    """Sets the learning rate of an optimizer config (of its inner optimizer for a wrapper)."""
    if "inner_optimizer" in config and isinstance(config["inner_optimizer"], dict):
        inner = config["inner_optimizer"].get("config", config["inner_optimizer"])
        _set_rate(inner, rate)
        return
    config["learning_rate"] = rate


def _class_ids(y):
    y = np.asarray(y)
    if y.ndim >= 2 and y.shape[-1] > 1:
        return np.argmax(y, axis=-1).reshape(-1), True
    return np.rint(y.reshape(-1)).astype(np.int64), False


# -- one handler per action ------------------------------------------------------------------------


def _set_activation(plan, remedy):
    plan.require_graph(remedy)
    for name in plan.targets(remedy, plan.hidden()):
        if "activation" not in plan.layer(name, remedy).get_config():
            raise ValueError(f"Remedy 'set_activation' targets layer {name!r}, which has no activation "
                             f"argument. Received: target={name!r}")
        plan.set_config(name, "activation", remedy.params["activation"])
        _initializers(plan, remedy, name)


def _initializers(plan, remedy, name):
    """Sets the remedy's initializers on the layer whose weights feed layer `name`."""
    keys = [key for key in ("kernel_initializer", "bias_initializer") if key in remedy.params]
    if not keys:
        return
    source = kernel_layer(plan.model, plan.layer(name, remedy))
    if source is None:
        if remedy.action == "set_activation":
            return  # after a merge (a residual Add) no one layer's weights feed it: the activation alone changes
        raise ValueError(f"Remedy {remedy.action!r} sets an initializer for layer {name!r}, which has no "
                         f"weights and no single layer with weights before it. Received: target={name!r}")
    for key in keys:
        if key in source.get_config():
            plan.set_config(source.name, key, remedy.params[key], reinitialize=True)


def _set_initializer(plan, remedy):
    plan.require_graph(remedy)
    default = [layer["name"] for layer in plan.setup["layers"] if "kernel_zero" in layer]
    for name in plan.targets(remedy, default):
        _initializers(plan, remedy, name)


def _add_normalization(plan, remedy):
    plan.require_graph(remedy)
    kind = remedy.params.get("kind", "batch")
    layer_class = keras.layers.LayerNormalization if kind == "layer" else keras.layers.BatchNormalization
    for name in plan.targets(remedy, plan.hidden()):
        layer = plan.layer(name, remedy)
        norm = lambda n=name: layer_class(name=f"{n}_{kind}_norm")  # noqa: E731
        activation = plan.current(name, "activation")
        if kernel_layer(plan.model, layer) is not layer:
            # An activation layer: the normalization goes between the weights and it.
            plan.insert_before(name, norm)
            plan.changes.append(f"inserted {layer_class.__name__} before activation layer {name!r}")
        elif isinstance(layer, LINEAR_MAPS) and activation not in (None, "linear"):
            # Split the activation out of the layer, so that the normalization comes before it.
            plan.set_config(name, "activation", "linear")
            plan.insert_after(name, norm)
            plan.insert_after(name, lambda n=name, a=activation: keras.layers.Activation(a, name=f"{n}_activation"))
            plan.changes.append(f"inserted {layer_class.__name__} after layer {name!r}, before its activation")
        else:  # a recurrent layer, or weights with no activation: normalize what comes out
            plan.insert_after(name, norm)
            plan.changes.append(f"inserted {layer_class.__name__} after layer {name!r}")


def _add_dropout(plan, remedy):
    plan.require_graph(remedy)
    rate = float(remedy.params.get("rate", remedies_module.DROPOUT_RATE))
    for name in plan.targets(remedy, plan.hidden()):
        plan.insert_after(name, lambda n=name: keras.layers.Dropout(rate, name=f"{n}_dropout"))
        plan.changes.append(f"inserted Dropout({rate:g}) after layer {name!r}")


def _set_dropout(plan, remedy):
    plan.require_graph(remedy)
    argument = remedy.params.get("argument", "rate")
    above = remedy.params.get("above", remedy.params["rate"])
    default = [layer.name for layer in plan.model.layers if argument in layer.get_config()
               and (isinstance(layer, _NOISE_LAYERS) or isinstance(layer, keras.layers.RNN))
               and (layer.get_config()[argument] or 0) > above]
    if remedy.target is None and not remedy.params.get("layers"):
        if not default:  # `targets` reads only layers with weights or an activation: dropout has neither
            raise ValueError(f"Remedy 'set_dropout' finds no layer with {argument} above {above:g}. "
                             f"Received: params={remedy.params!r}")
        names = default
    else:
        names = plan.targets(remedy, default)
    for name in names:
        plan.set_config(name, argument, float(remedy.params["rate"]))


def _set_constraint(plan, remedy):
    plan.require_graph(remedy)
    constraint = remedy.params.get("kernel_constraint")
    value = None if constraint is None else keras.constraints.serialize(keras.constraints.get(constraint))
    default = [layer.name for layer in plan.model.layers if getattr(layer, "kernel_constraint", None) is not None]
    for name in plan.targets(remedy, default):
        plan.set_config(name, "kernel_constraint", value)


def _add_regularization(plan, remedy):
    plan.require_graph(remedy)
    l1, l2 = float(remedy.params.get("l1", 0.0)), float(remedy.params.get("l2", 0.0))
    regularizer = keras.regularizers.L1L2(l1=l1, l2=l2) if l1 else keras.regularizers.L2(l2)
    if remedy.params.get("activity"):  # the penalty on the layers' outputs, where they have one
        for name in plan.targets(remedy, plan.setup.get("activity_regularized") or []):
            plan.set_config(name, "activity_regularizer", keras.regularizers.serialize(regularizer))
        return
    default = [layer["name"] for layer in plan.setup["layers"] if "kernel_zero" in layer]
    for name in plan.targets(remedy, default):
        plan.set_config(name, "kernel_regularizer", keras.regularizers.serialize(regularizer))


def _set_output_activation(plan, remedy):
    plan.require_graph(remedy)
    name = plan.output_layer(remedy)
    layer = plan.layer(name, remedy)
    activation = remedy.params["activation"]
    if "activation" in layer.get_config():
        plan.set_config(name, "activation", activation)
    else:  # a Softmax/ReLU layer applies the activation: an Activation layer of that name replaces it
        plan.replacement[name] = lambda: keras.layers.Activation(activation, name=name)
        plan.changes.append(f"layer {name!r}: {type(layer).__name__} → Activation({activation!r})")
    if "units" in remedy.params:
        plan.set_config(name, "units", int(remedy.params["units"]), reinitialize=True)
    _loss_edits(plan, remedy)


def _set_output_units(plan, remedy):
    plan.require_graph(remedy)
    name = plan.output_layer(remedy)
    plan.layer(name, remedy)
    plan.set_config(name, "units", int(remedy.params["units"]), reinitialize=True)
    if "activation" in remedy.params:
        plan.set_config(name, "activation", remedy.params["activation"])
    _loss_edits(plan, remedy)


def _loss_edits(plan, remedy):
    edits = {key: remedy.params[key] for key in ("loss", "from_logits") if key in remedy.params}
    if edits:
        _set_loss(plan, Remedy("set_loss", None, edits))


def _set_loss(plan, remedy):
    before = plan.loss if isinstance(plan.loss, str) else getattr(plan.loss, "name", type(plan.loss).__name__)
    name = remedy.params.get("loss")
    if name == "focal":
        family = next((o["loss_family"] for o in plan.setup["outputs"] if o.get("loss_family")), "binary")
        if family == "sparse":
            raise ValueError("A focal loss needs one-hot labels; the model's loss takes class ids. "
                             f"Received: params={remedy.params!r}")
        name = _FOCAL.get(family, "binary_focal_crossentropy")
    if name is not None:
        plan.loss_edits["loss"] = name
    if "from_logits" in remedy.params:
        plan.loss_edits["from_logits"] = bool(remedy.params["from_logits"])
    if "label_smoothing" in remedy.params:
        plan.loss_edits["label_smoothing"] = float(remedy.params["label_smoothing"])
    after = plan._loss()
    plan.changes.append(f"loss {before} → {after.name}"
                        + "".join(f" ({key}={after.get_config()[key]})" for key in ("from_logits", "label_smoothing")
                                  if key in after.get_config()))


def _set_learning_rate(plan, remedy):
    rate = remedy.params.get("learning_rate")
    if rate is None:
        plan.rate_bounds = (remedy.params.get("min_learning_rate"), remedy.params.get("max_learning_rate"))
        return
    before = plan.optimizer.get("learning_rate")
    _set_rate(plan.optimizer, float(rate))
    plan.changes.append(f"optimizer {plan.optimizer_class.__name__}: learning_rate {_show(before)} → "
                        f"{_show(float(rate))}")


def _set_optimizer(plan, remedy):
    name = remedy.params["optimizer"]
    optimizer = keras.optimizers.get(name)
    config = dict(optimizer.get_config())
    for key in ("clipnorm", "global_clipnorm", "clipvalue"):
        config[key] = plan.optimizer.get(key)
    for key in OPTIMIZER_SETTINGS:
        if key not in remedy.params:
            continue
        if key not in config:
            raise ValueError(f"Remedy 'set_optimizer' sets {key}, which {type(optimizer).__name__} does not "
                             f"take. Received: params={remedy.params!r}")
        config[key] = float(remedy.params[key])
    before = plan.optimizer_class.__name__
    plan.optimizer_class, plan.optimizer = type(optimizer), config
    rate = remedy.params.get("learning_rate")
    if rate is None and "learning_rate" in remedy.params:
        plan.rate_bounds = (None, None)
    elif rate is not None:
        _set_rate(plan.optimizer, float(rate))
    plan.changes.append(f"optimizer {before} → {type(optimizer).__name__}"
                        + (f" (learning_rate {_show(float(rate))})" if rate is not None else "")
                        + "".join(f" ({key} {config[key]:g})" for key in OPTIMIZER_SETTINGS
                                  if key in remedy.params))


def _clip_gradients(plan, remedy):
    keys = [key for key in ("clipnorm", "global_clipnorm", "clipvalue") if key in remedy.params]
    if len(keys) != 1:
        raise ValueError("clip_gradients takes one of clipnorm, global_clipnorm or clipvalue. "
                         f"Received: params={remedy.params!r}")
    key = keys[0]
    before = plan.optimizer.get(key)
    for other in ("clipnorm", "global_clipnorm", "clipvalue"):
        plan.optimizer[other] = None  # Keras takes only one of them
    plan.optimizer[key] = float(remedy.params[key])
    plan.changes.append(f"optimizer {plan.optimizer_class.__name__}: {key} {_show(before)} → "
                        f"{float(remedy.params[key]):g}")


def _early_stopping(plan, remedy):
    params = remedy.params
    callback = keras.callbacks.EarlyStopping(monitor=params.get("monitor", "val_loss"),
                                             mode=params.get("mode", "auto"),
                                             patience=int(params.get("patience", 3)),
                                             restore_best_weights=bool(params.get("restore_best_weights", True)))
    plan.fit_kwargs.setdefault("callbacks", []).append(callback)
    plan.changes.append(f"fit: EarlyStopping(monitor={callback.monitor!r}, mode={params.get('mode', 'auto')!r}, "
                        f"patience={callback.patience}, restore_best_weights={callback.restore_best_weights})")


def _rebalance_classes(plan, remedy):
    if plan.y is None:
        raise ValueError("rebalance_classes needs the training labels. Received: y=None")
    method = remedy.params.get("method", "class_weight")
    ids, one_hot = _class_ids(plan.y)
    if method == "class_weight":
        classes, counts = np.unique(ids, return_counts=True)
        # Balanced weights: each class weighs in as if it held n / k rows.
        weights = {int(c): float(ids.size / (classes.size * n)) for c, n in zip(classes, counts)}
        plan.fit_kwargs["class_weight"] = weights
        plan.changes.append("fit: class_weight " + ", ".join(f"{c}: {w:.3g}" for c, w in weights.items()))
        return
    if method not in _SAMPLERS:
        raise ValueError(f"rebalance_classes' method must be one of {('class_weight',) + tuple(_SAMPLERS)}. "
                         f"Received: method={method!r}")
    if plan.x is None or isinstance(plan.x, (dict, list, tuple)):
        raise ValueError(f"rebalance_classes with method={method!r} resamples one array of inputs. "
                         f"Received: x={type(plan.x).__name__}")
    x = np.asarray(plan.x)
    sampler = _SAMPLERS[method](random_state=0)
    flat, labels = sampler.fit_resample(x.reshape(len(x), -1), ids)
    flat, labels = np.asarray(flat), np.asarray(labels)
    x_new = flat.reshape((len(flat),) + x.shape[1:]).astype(x.dtype)
    y_new = np.eye(np.asarray(plan.y).shape[-1], dtype=np.asarray(plan.y).dtype)[labels] if one_hot else \
        labels.astype(np.asarray(plan.y).dtype).reshape((-1,) + np.asarray(plan.y).shape[1:])
    plan.data = (x_new, y_new)
    plan.changes.append(f"data: {type(sampler).__name__} resamples {len(x)} rows to {len(x_new)}")


def _standardize_inputs(plan, remedy):
    plan.require_graph(remedy)
    method = remedy.params.get("method", "standardize")
    if method == "rescale":
        scale = float(remedy.params["scale"])
        plan.before_inputs.append(lambda index: keras.layers.Rescaling(scale, name=_input_layer_name(
            "input_rescaling", index, plan)))
        plan.changes.append(f"inserted Rescaling({scale:.3g}) after every input")
        return
    arrays = _input_arrays(plan)
    stats = []
    for array in arrays:
        normalization = keras.layers.Normalization(axis=-1)
        normalization.adapt(np.asarray(array, dtype=np.float32))
        stats.append([np.asarray(w).reshape(-1) for w in normalization.get_weights()[:2]])

    def factory(index):
        mean, variance = stats[index]
        return keras.layers.Normalization(axis=-1, mean=mean, variance=variance,
                                          name=_input_layer_name("input_standardization", index, plan))

    plan.before_inputs.append(factory)
    where = "the input" if len(arrays) == 1 else f"each of the {len(arrays)} inputs"
    plan.changes.append(f"inserted Normalization adapted to x after {where} (mean and variance per feature)")


def _input_arrays(plan):
    """The training inputs as one array per model input, in the model's input order."""
    names = _input_names(plan.model)
    if isinstance(plan.x, dict) and set(names) <= set(plan.x):
        arrays = [plan.x[name] for name in names]
    elif isinstance(plan.x, (list, tuple)) and len(plan.x) == len(names):
        arrays = list(plan.x)
    elif plan.x is not None and hasattr(plan.x, "shape") and len(names) <= 1:
        arrays = [plan.x]
    else:
        raise ValueError("standardize_inputs adapts a Normalization layer on one array per model input. "
                         f"Received: x={type(plan.x).__name__}")
    return arrays


def _input_layer_name(stem, index, plan):
    """`stem` for a one-input model, `stem_<index>` for each input of several."""
    return stem if len(_input_names(plan.model)) <= 1 else f"{stem}_{index}"


def _input_names(model):
    """The names of `model`'s inputs ([] while a Sequential model is not built)."""
    try:
        inputs = model.inputs or []
    except (AttributeError, ValueError):
        return []
    return [getattr(tensor, "name", None) for tensor in keras.tree.flatten(inputs)]


def _scale_targets(plan, remedy):
    plan.require_graph(remedy)
    name = plan.output_layer(remedy)
    activation = plan.current(name, "activation")
    if activation in (None, "linear"):
        _standardized_output(plan, remedy, name)
        return
    bounds = ACTIVATION_RANGES.get(activation)
    if bounds is None or not np.isfinite(bounds).all():
        raise ValueError(f"scale_targets maps a bounded output onto the targets; layer {name!r} has "
                         f"activation {activation!r}. Received: target={name!r}")
    low, high = remedy.params.get("low"), remedy.params.get("high")
    if low is None or high is None:
        finite = _finite_targets(plan, "low and high")
        low, high = float(finite.min()), float(finite.max())
    span = (high - low) or 1.0
    low, high = low - TARGET_MARGIN * span, high + TARGET_MARGIN * span
    scale = (high - low) / (bounds[1] - bounds[0])
    offset = low - bounds[0] * scale
    plan.insert_after(name, lambda: keras.layers.Rescaling(scale, offset=offset, name=f"{name}_target_scale"))
    plan.changes.append(f"inserted Rescaling after layer {name!r}: its {activation} range [{bounds[0]:g}, "
                        f"{bounds[1]:g}] now covers the targets' [{low:.3g}, {high:.3g}]")
    _rate_for_rescaled_output(plan, scale)


def _standardized_output(plan, remedy, name):
    """A linear output learns standardized targets: a Rescaling after it maps unit scale onto
    the targets' `mean` +- `std` (read from y when the remedy does not give them)."""
    mean, std = remedy.params.get("mean"), remedy.params.get("std")
    if mean is None or std is None:
        finite = _finite_targets(plan, "mean and std")
        mean, std = float(finite.mean()), float(finite.std())
    std = float(std) or 1.0
    plan.insert_after(name, lambda: keras.layers.Rescaling(std, offset=float(mean), name=f"{name}_target_scale"))
    plan.changes.append(f"inserted Rescaling after layer {name!r}: its linear output, learned at unit scale, "
                        f"now gives the targets' {float(mean):.3g} +- {std:.3g}")
    _rate_for_rescaled_output(plan, std)


def _rate_for_rescaled_output(plan, scale):
    """Divides plain SGD's learning rate by `scale`**2: the loss stays in the targets' units, so
    the gradients below a Rescaling output are `scale`**2 times those of the scaled problem, and
    SGD's steps with them (adaptive optimizers divide that factor out themselves)."""
    rate = plan.optimizer.get("learning_rate")
    if not issubclass(plan.optimizer_class, keras.optimizers.SGD) or not isinstance(rate, (int, float)):
        return
    _set_rate(plan.optimizer, float(rate) / scale ** 2)
    plan.changes.append(f"optimizer {plan.optimizer_class.__name__}: learning_rate {_show(float(rate))} → "
                        f"{_show(float(rate) / scale ** 2)} (the loss is {scale:.3g}^2 times the scaled problem's)")


def _finite_targets(plan, what):
    """The finite values of the training targets, which `scale_targets` reads `what` from."""
    if plan.y is None:
        raise ValueError(f"scale_targets without {what} reads them from y. Received: y=None")
    targets = np.asarray(plan.y, dtype=np.float64)
    return targets[np.isfinite(targets)]


def _change_batch_size(plan, remedy):
    plan.fit_kwargs["batch_size"] = int(remedy.params["batch_size"])
    plan.changes.append(f"fit: batch_size {plan.fit_kwargs['batch_size']}")


_HANDLERS = {
    "set_activation": _set_activation,
    "set_initializer": _set_initializer,
    "add_normalization": _add_normalization,
    "set_output_activation": _set_output_activation,
    "set_output_units": _set_output_units,
    "set_loss": _set_loss,
    "set_learning_rate": _set_learning_rate,
    "set_optimizer": _set_optimizer,
    "clip_gradients": _clip_gradients,
    "add_regularization": _add_regularization,
    "add_dropout": _add_dropout,
    "set_dropout": _set_dropout,
    "set_constraint": _set_constraint,
    "early_stopping": _early_stopping,
    "rebalance_classes": _rebalance_classes,
    "standardize_inputs": _standardize_inputs,
    "scale_targets": _scale_targets,
    "change_batch_size": _change_batch_size,
}
