"""Passes over the user's model that leave its random state as they found it.

A monitor runs the model on probe rows between steps (activations, the gradient through time, a
Hessian, predictions), always in inference mode. That should draw no random number, but in Keras 3
an `LSTM` or `GRU` with `dropout` advances its cell's `SeedGenerator` on every call, inference
included: the next training step then draws other dropout masks, and the user's losses are no
longer those of the same `fit` without the monitor. Every random stream of a Keras model is the
state variable of a `keras.random.SeedGenerator` (each Dropout, GaussianNoise, Random* layer and
recurrent cell holds one), so keeping those variables keeps the training's randomness.

Example:

>>> with random_state_kept(model):                     # doctest: +SKIP
...     activations = network(probe_rows, training=False)
"""

import contextlib

# The name Keras gives the state variable of every `SeedGenerator`.
SEED_STATE_NAME = "seed_generator_state"


def seed_states(model):
    """The state variables of the `SeedGenerator`s of `model`'s layers (its random streams)."""
    if model is None:
        return []
    return [variable for variable in model.non_trainable_variables
            if variable.path.rsplit("/", 1)[-1] == SEED_STATE_NAME]


@contextlib.contextmanager
def random_state_kept(model):
    """Restores, on leaving, the random streams of `model` to their state on entering.

    Args:
        model: a `keras.Model`, or None (nothing to keep).
    """
    try:
        variables = seed_states(model)
        saved = [variable.numpy() for variable in variables]
    except Exception:  # noqa: BLE001 - a model whose variables cannot be read here: nothing to keep
        variables, saved = [], []
    try:
        yield
    finally:
        for variable, value in zip(variables, saved):
            variable.assign(value)
