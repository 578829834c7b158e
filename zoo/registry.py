"""A name -> builder registry, so that code and tests can enumerate every network in the zoo.

Example:

>>> import zoo
>>> "mlp" in zoo.list_models()
True
>>> model = zoo.build("mlp", input_shape=(4,), num_classes=3)
"""

import dataclasses

TASKS = ("classification", "sequence", "generative")
# The tasks of classifier builders: they take `input_shape=` and `num_classes=` and return an
# uncompiled model (a public promise, README "The zoo"; tests/zoo/test_conformance.py holds it).
CLASSIFIER_TASKS = ("classification", "sequence")

_BUILDERS = {}
_SPECS = {}


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """What the conformance suite needs to know about a registered builder.

    Attributes:
        name: the registered name.
        task: `"classification"` (fits on `(x, y)`), `"sequence"` (a recurrent net:
            classification, or regression with `num_classes=None`, over sequences), or
            `"generative"` (fits on unlabelled `x`, like the DCGAN and the VAE).
        small_kwargs: keyword arguments for a small, fast instance, used by the tests.
    """

    name: str
    task: str
    small_kwargs: dict

    @property
    def classifier(self):
        """Whether this is a classifier builder: it takes `input_shape=` and `num_classes=`.

        The classification and sequence builders are; the generative ones (DCGAN, VAE) are not.
        """
        return self.task in CLASSIFIER_TASKS


def register_model(name, task="classification", small_kwargs=None):
    """Decorator that registers a builder function under `name`.

    Args:
        name: the public name, used by `build(name, ...)` and listed by `list_models()`.
        task: one of `TASKS`; tells the conformance suite how to feed the model.
        small_kwargs: keyword arguments that build a small instance quickly (for tests).

    Returns:
        The decorator; it returns the builder unchanged.
    """
    if task not in TASKS:
        raise ValueError(f"`task` must be one of {TASKS}. Received: task={task!r}")

    def decorator(builder):
        if name in _BUILDERS:
            raise ValueError(f"A model named {name!r} is already registered. Received: name={name!r}")
        _BUILDERS[name] = builder
        _SPECS[name] = ModelSpec(name=name, task=task, small_kwargs=dict(small_kwargs or {}))
        return builder

    return decorator


def get_spec(name):
    """Returns the `ModelSpec` of the registered model `name`."""
    get_builder(name)
    return _SPECS[name]


def list_models(classifiers=False):
    """Returns the sorted names of the registered builders.

    Args:
        classifiers: list only the classifier builders (see `ModelSpec.classifier`).

    Returns:
        A sorted list of names.
    """
    return sorted(name for name in _BUILDERS if not classifiers or _SPECS[name].classifier)


def get_builder(name, /):
    """Returns the builder function registered as `name`."""
    if name not in _BUILDERS:
        raise ValueError(
            f"Unknown model name. Expected one of {list_models()}. Received: name={name!r}"
        )
    return _BUILDERS[name]


def build(name, /, **kwargs):
    """Builds the registered model `name` with the builder's keyword arguments.

    Args:
        name: a name from `list_models()`.
        **kwargs: passed to the builder.

    Returns:
        The built, uncompiled `keras.Model`.
    """
    return get_builder(name)(**kwargs)
