"""What a benchmark scenario is: a plain-Keras run with a known fault (or none), and its check.

A scenario module defines one function per run, decorated with `scenario(...)`:

>>> @scenario("mlp", expected=("overfitting",), verify=overfits())      # doctest: +SKIP
... def mlp_tiny_data_no_dropout(seed):
...     return Run(model, optimizer, "sparse_categorical_crossentropy", x, y, epochs=60)
"""

import dataclasses
from typing import Callable

FAMILIES = ("linear", "mlp", "cnn", "rnn", "two_input", "transfer", "text", "two_output",
            "mixed_precision")

SCENARIOS = {}


@dataclasses.dataclass
class Run:
    """One plain-Keras training run, built but not compiled (the harness compiles it with the
    jit mode under test and fits it with `TrainingDiagnostics`).

    Args:
        model: an uncompiled `keras.Model`.
        optimizer: a `keras.optimizers.Optimizer` instance.
        loss: a Keras loss (name or instance).
        x, y: training data, as `fit` takes them.
        epochs, batch_size: as in `fit`.
        validation_data: `(x_val, y_val)` or None.
        metrics: as in `compile`.
        loss_weights: as in `compile` (None: every output's loss counts once).
        class_weight: as in `fit` (None: every class counts once).
        callbacks: the user's own callbacks, as in `fit` (the harness adds the monitor after them).
        validation_freq: as in `fit` (1: validate after every epoch).
    """

    model: object
    optimizer: object
    loss: object
    x: object
    y: object
    epochs: int
    batch_size: int = 32
    validation_data: object = None
    metrics: tuple = ()
    loss_weights: object = None
    class_weight: object = None
    callbacks: tuple = ()
    validation_freq: int = 1


@dataclasses.dataclass
class Trained:
    """A run after `fit`, for a scenario's `verify`.

    Args:
        run: the `Run`.
        history: `keras.callbacks.History.history` of the fit.
        initial_weights: `model.get_weights()` before the fit.
    """

    run: Run
    history: dict
    initial_weights: list


@dataclasses.dataclass(frozen=True)
class Scenario:
    """A named run with its ground truth.

    Args:
        name: the scenario's name (its function's name).
        family: one of `FAMILIES`.
        expected: the kinds a correct diagnosis contains (empty for a healthy run).
        acceptable: other kinds that are true consequences of the fault, not false alarms.
        make: `seed -> Run`.
        verify: `Trained -> (holds, note)`: whether the fault really happened in this run,
            measured with plain TensorFlow; healthy runs check that they trained well.
        heldout: True for the held-out families (`benchmarks/accuracy/heldout_*.py`), written
            from a description of their fault without reading the detectors, scored apart and
            never used to tune a threshold.
    """

    name: str
    family: str
    expected: tuple
    acceptable: tuple
    make: Callable
    verify: Callable
    heldout: bool = False

    @property
    def healthy(self):
        return not self.expected


def scenario(family, expected=(), acceptable=(), verify=None, heldout=False):
    """Registers the decorated `seed -> Run` function as a scenario named after it (`heldout`:
    see `Scenario`)."""
    if family not in FAMILIES:
        raise ValueError(f"`family` must be one of {FAMILIES}. Received: family={family!r}")
    if verify is None:
        raise ValueError(f"Every scenario needs a `verify`. Received: verify={verify!r}")

    def register(make):
        SCENARIOS[make.__name__] = Scenario(
            make.__name__, family, tuple(expected), tuple(acceptable), make, verify, bool(heldout)
        )
        return make

    return register
