"""A name -> builder registry, so that code and tests can enumerate every network in the zoo.

Example:

>>> import zoo
>>> "mlp" in zoo.list_models()
True
>>> model = zoo.build("mlp", input_shape=(4,), num_classes=3)
"""

_BUILDERS = {}


def register_model(name):
    """Decorator that registers a builder function under `name`.

    Args:
        name: the public name, used by `build(name, ...)` and listed by `list_models()`.

    Returns:
        The decorator; it returns the builder unchanged.
    """

    def decorator(builder):
        if name in _BUILDERS:
            raise ValueError(f"A model named {name!r} is already registered. Received: name={name!r}")
        _BUILDERS[name] = builder
        return builder

    return decorator


def list_models():
    """Returns the sorted names of all registered builders."""
    return sorted(_BUILDERS)


def get_builder(name):
    """Returns the builder function registered as `name`."""
    if name not in _BUILDERS:
        raise ValueError(
            f"Unknown model name. Expected one of {list_models()}. Received: name={name!r}"
        )
    return _BUILDERS[name]


def build(name, **kwargs):
    """Builds the registered model `name` with the builder's keyword arguments.

    Args:
        name: a name from `list_models()`.
        **kwargs: passed to the builder.

    Returns:
        The built, uncompiled `keras.Model`.
    """
    return get_builder(name)(**kwargs)
