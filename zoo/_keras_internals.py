"""The only place in the project that touches Keras (and TensorFlow) internals.

Keras 3 has no public form for a few things a diagnostics library must do: list every layer of a
model recursively (nested models and layers inside custom layers included), find the layer that
produced a symbolic tensor, find an optimizer's slot for a variable, and list the variables an
optimizer was built for. Each lives here behind a small function, so that when Keras moves one,
`tests/zoo/test_keras_internals.py` fails naming the Keras version and this file is the only one
to change.

Patching a method on one instance (an optimizer's `apply`, a model's `train_step`, a layer's
`call`) is plain Python, but Keras' tracking `__setattr__` must not see the function, so it is
done here too, through the instance `__dict__`.

One TensorFlow internal lives here as well: a `tf.cond` that TensorFlow keeps as one functional
`If` op instead of lowering it to `Switch`/`Merge` (`skippable_cond`). Lowered, an untaken branch
is not free: the executor still visits every op in it to pass "dead" tensors through, about
0.1 us per op on top of ~3 us; the functional `If` skips for ~2-2.7 us whatever the branch holds
(`benchmarks/cond_cost.py`: 5.4 against 1.9 us for a 30-op branch, 14.1 against 2.7 for 150).

Example:

>>> import keras
>>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="out")])
>>> [layer.name for layer in all_layers(model)]
['out']
"""

import keras
import tensorflow as tf
from tensorflow.core.framework import attr_value_pb2

KERAS_VERSION = keras.__version__


def all_layers(model):
    """Every layer inside `model`, recursively (nested models and their layers, layers held by
    custom layers), parents before their children; `model` itself and `InputLayer`s left out."""
    layers = model._flatten_layers(include_self=False, recursive=True)
    return [layer for layer in layers if not isinstance(layer, keras.layers.InputLayer)]


def producing_layer(tensor):
    """The layer that produced the symbolic `tensor` of a functional model, or None. It can be an
    Operation that is no Layer (a `keras.ops` call such as `abs(a - b)`, or the `!=` of a mask):
    it has `name` and `input`, but no `weights` and no `activation`."""
    history = getattr(tensor, "_keras_history", None)
    return None if history is None else history.operation


def call_keywords(layer):
    """The keyword arguments of each call of `layer` recorded in a functional graph (one dict
    per call: `{"training": False, "mask": None}` for `base(x, training=False)`)."""
    return [dict(node.arguments.kwargs) for node in getattr(layer, "_inbound_nodes", None) or []
            if getattr(node, "arguments", None) is not None]


def optimizer_variables(optimizer):
    """The model variables `optimizer` was built for, in the order its slots follow."""
    return list(optimizer._trainable_variables)


def variable_index(optimizer, variable):
    """The position of `variable` in `optimizer`'s slot lists (`add_optimizer_variables` order)."""
    return optimizer._get_variable_index(variable)


def apply_calls(optimizer):
    """The number of `optimizer.apply` calls so far (a scalar variable).

    `optimizer.iterations` counts the updates applied; with `gradient_accumulation_steps=k` an
    update is applied at every k-th call only, and `iterations` is this count divided by k.
    """
    return optimizer._iterations


def build_optimizer(optimizer, variables):
    """Builds `optimizer` for `variables` as its first `apply` would, for code that must read its
    state (the gradient accumulators) before that call; a built optimizer is left as it is."""
    if not optimizer.built:
        optimizer.build(variables)
        optimizer.built = True


def accumulated_gradient(optimizer, variable):
    """The sum of the gradients `optimizer` has received for `variable` since its last update
    (a variable), when it was built with `gradient_accumulation_steps`."""
    return optimizer._accumulated_gradients[optimizer._get_variable_index(variable)]


def activation_logits(tensor):
    """The input of the softmax or sigmoid that produced `tensor` inside a traced TensorFlow step
    (Keras keeps it for its cross-entropies), or None.

    Classes read off the logits need no softmax: the loss itself uses the logits, so reading
    the probabilities would make the step compute a softmax it otherwise skips.
    """
    return getattr(tensor, "_keras_logits", None)


def make_plain_train_function(model):
    """A second train function of `model`, built the way `model.make_train_function` builds it
    (Keras' TensorFlow trainer: `_make_function(train_step)`) but not stored on the model; None
    where this Keras has no such builder. It traces `model.train_step` when first called."""
    make = getattr(model, "_make_function", None)
    return None if make is None else make(model.train_step)


def patch_method(instance, name, function):
    """Replaces method `name` on this one instance by `function`; returns a token for `unpatch`.

    Goes through the instance `__dict__`: Keras' tracking `__setattr__` would otherwise try to
    track the function as state.
    """
    token = (instance, name, instance.__dict__.get(name, _MISSING))
    instance.__dict__[name] = function
    return token


def unpatch_method(token):
    """Undoes one `patch_method` (restoring an earlier instance attribute, if there was one)."""
    instance, name, previous = token
    if previous is _MISSING:
        instance.__dict__.pop(name, None)
    else:
        instance.__dict__[name] = previous


def is_patched(instance, name):
    """Whether `instance` carries its own `name` attribute (a patched method)."""
    return name in instance.__dict__


def skippable_cond(pred, true_fn):
    """`tf.cond(pred, true_fn, <nothing>)` whose untaken branch costs one op, not one per op in it.

    Inside a `tf.function` (not compiled by XLA, which never lowers conds), TensorFlow marks a
    cond's `If` op `_lower_using_switch_merge`, and the executor then visits every op of the
    branch not taken. This clears the mark on the `If` op it creates, so the branch runs as a
    function call only when `pred` is true. Eagerly it is a plain `tf.cond`.

    Args:
        pred: a scalar boolean tensor.
        true_fn: a function of no arguments, for its side effects (its outputs are dropped).

    Returns:
        The `If` operations whose lowering was turned off (a list; empty eagerly and under XLA).
    """
    def run():
        true_fn()

    if not tf.inside_function():
        tf.cond(pred, run, _nothing)
        return []
    graph = tf.compat.v1.get_default_graph()
    before = len(graph.get_operations())
    tf.cond(pred, run, _nothing)
    unlowered = []
    for op in graph.get_operations()[before:]:
        if op.type in ("If", "StatelessIf") and _LOWER in op.node_def.attr:
            op._set_attr(_LOWER, attr_value_pb2.AttrValue(b=False))
            unlowered.append(op)
    return unlowered


def _nothing():
    """The branch of a skipped step."""


_LOWER = "_lower_using_switch_merge"
_MISSING = object()
