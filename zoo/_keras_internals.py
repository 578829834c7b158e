"""The only place in the project that touches Keras internals.

Keras 3 has no public form for a few things a diagnostics library must do: list every layer of a
model recursively (nested models and layers inside custom layers included), find the layer that
produced a symbolic tensor, find an optimizer's slot for a variable, and list the variables an
optimizer was built for. Each lives here behind a small function, so that when Keras moves one,
`tests/zoo/test_keras_internals.py` fails naming the Keras version and this file is the only one
to change.

Patching a method on one instance (an optimizer's `apply`, a model's `train_step`, a layer's
`call`) is plain Python, but Keras' tracking `__setattr__` must not see the function, so it is
done here too, through the instance `__dict__`.

Example:

>>> import keras
>>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="out")])
>>> [layer.name for layer in all_layers(model)]
['out']
"""

import keras

KERAS_VERSION = keras.__version__


def all_layers(model):
    """Every layer inside `model`, recursively (nested models and their layers, layers held by
    custom layers), parents before their children; `model` itself and `InputLayer`s left out."""
    layers = model._flatten_layers(include_self=False, recursive=True)
    return [layer for layer in layers if not isinstance(layer, keras.layers.InputLayer)]


def producing_layer(tensor):
    """The layer (operation) that produced the symbolic `tensor` of a functional model, or None."""
    history = getattr(tensor, "_keras_history", None)
    return None if history is None else history.operation


def optimizer_variables(optimizer):
    """The model variables `optimizer` was built for, in the order its slots follow."""
    return list(optimizer._trainable_variables)


def variable_index(optimizer, variable):
    """The position of `variable` in `optimizer`'s slot lists (`add_optimizer_variables` order)."""
    return optimizer._get_variable_index(variable)


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


_MISSING = object()
