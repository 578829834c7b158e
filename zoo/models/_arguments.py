"""The builders' argument constraints: the Keras-specific kinds, and the entries builders share.

Each builder declares one table `{argument: constraint}` and decorates itself with
`zoo._validation.validate_arguments(table, rules)`. The table of a classifier builder starts
from `classifier_constraints`, which holds what every classifier builder takes.

Example:

>>> table = classifier_constraints(input_shape=IMAGE_SHAPE, dropout=RATE)
>>> sorted(table)[:3]
['classifier_activation', 'dropout', 'input_shape']
"""

import inspect

import keras

from zoo._validation import (
    Constraint,
    Integer,
    IntegerSequence,
    Invalid,
    Name,
    Optional,
    Options,
    Real,
    Shape,
)

# Hidden activations that are layers rather than Keras activation functions.
LAYER_ACTIVATIONS = ("prelu", "maxout")
# Activations whose layer halves the features: the layer before them is made twice as wide.
WIDTH_FACTORS = {"maxout": 2, "glu": 2}


def _takes_only_its_input(function):
    """True when an activation function needs no argument besides its input."""
    try:
        parameters = list(inspect.signature(function).parameters.values())[1:]
    except (TypeError, ValueError):
        return callable(function)
    return all(parameter.default is not inspect.Parameter.empty for parameter in parameters)


class Activation(Constraint):
    """The name of a Keras activation that takes no extra arguments.

    Args:
        layers: also accept `LAYER_ACTIVATIONS` (`"prelu"`, `"maxout"`), built as layers.
        keep_width: refuse the activations that halve the features (`"maxout"`, `"glu"`), for
            places where the width cannot change (a residual block, a recurrent state).
    """

    def __init__(self, layers=True, keep_width=False):
        self.extra = LAYER_ACTIVATIONS if layers else ()
        self.keep_width = keep_width

    def check(self, value):
        requirement = "must be the name of a Keras activation that takes no extra arguments"
        if self.extra:
            requirement += f" or one of {list(self.extra)}"
        if not isinstance(value, str):
            raise Invalid(requirement, type_error=True)
        if value not in self.extra:
            try:
                function = keras.activations.get(value)
            except (ValueError, TypeError):
                raise Invalid(requirement) from None
            if not _takes_only_its_input(function):
                raise Invalid(requirement)
        if self.keep_width and value in WIDTH_FACTORS:
            raise Invalid(f"must keep the number of features (not {list(WIDTH_FACTORS)})")
        return value


class Initializer(Constraint):
    """A Keras initializer: its name, its config or an instance; returned as a name or config.

    The builders turn what it returns into a fresh initializer for every layer
    (`_blocks.initializer`), so that layers never share one stateful instance.
    """

    def check(self, value):
        requirement = "must be a Keras initializer, its name or its config"
        if isinstance(value, keras.initializers.Initializer):
            return keras.initializers.serialize(value)
        if not isinstance(value, (str, dict)):
            raise Invalid(requirement, type_error=True)
        try:
            initializer = keras.initializers.get(value)
        except (ValueError, TypeError, KeyError, AttributeError):
            initializer = None
        if not isinstance(initializer, keras.initializers.Initializer):
            raise Invalid(requirement)
        return value


# Limits far beyond what these nets are for, that keep a typo from allocating gigabytes.
MAX_WIDTH = 16_384
MAX_LAYERS = 256
MAX_OUTPUTS = 100_000

# Entries that several builders share.
RATE = Real(0.0, 1.0, max_inclusive=False)
PENALTY = Real(minimum=0.0)
NUM_CLASSES = Integer(1, MAX_OUTPUTS)
WIDTHS = IntegerSequence(maximum=MAX_WIDTH, max_length=MAX_LAYERS, accept_int=True)
NAME = Name()
INITIALIZER = Initializer()
NORMALIZATION = Options((None, "batch", "layer"))
# Up to 4096x4096 pixels: far beyond what these nets are for, and far below what overflows.
IMAGE_SHAPE = Shape(ndim=3, max_size=2**24)
# The seed of a model's training noise; None draws one. Keras' random seeds are 32-bit.
SEED = Optional(Integer(0, 2**31 - 1))


def classifier_constraints(**own):
    """The table of a classifier builder: what every classifier builder takes, and `own`.

    Args:
        **own: the builder's other entries (its `input_shape`, at least); they may replace
            the shared ones.

    Returns:
        `{argument: constraint}` with `num_classes`, `kernel_initializer`, `l1`, `l2`,
        `classifier_activation` and `name`.
    """
    return {
        "num_classes": NUM_CLASSES,
        "kernel_initializer": INITIALIZER,
        "l1": PENALTY,
        "l2": PENALTY,
        "classifier_activation": Optional(Activation(layers=False)),
        "name": NAME,
        **own,
    }


# The Args lines of the arguments every classifier builder takes, for their docstrings.
CLASSIFIER_ARGUMENTS_DOC = """num_classes: number of classes; 1 gives a binary classifier with a single unit.
        l1: L1 penalty factor on every kernel.
        l2: L2 penalty factor on every kernel.
        classifier_activation: activation of the `output` layer: `"softmax"` (a sigmoid when
            `num_classes=1`), any Keras activation name, or None for logits.
        name: the model's name."""


def document_classifier_arguments(builder):
    """Decorator: puts `CLASSIFIER_ARGUMENTS_DOC` where the docstring says `{classifier_arguments}`.

    Args:
        builder: a classifier builder whose docstring has that placeholder in its Args.

    Returns:
        The builder, with its docstring completed.
    """
    builder.__doc__ = builder.__doc__.replace("{classifier_arguments}", CLASSIFIER_ARGUMENTS_DOC)
    return builder


def require_image_side(input_shape, minimum, reason):
    """Rule helper: refuses `input_shape` when its height or width is below `minimum`."""
    if min(input_shape[:2]) < minimum:
        raise Invalid(
            f"is too small: {reason} needs images of at least {minimum}x{minimum}",
            argument="input_shape",
        )
