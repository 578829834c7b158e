"""What a model that `TrainingDiagnostics` observed can still do: be saved to `.keras`, load as a
plain Keras model that predicts the same, and train again, observed once more.

Example:

>>> models = []                                                                # doctest: +SKIP
>>> def fit(model, callbacks):                                                 # doctest: +SKIP
...     models.append(model)
...     return model.fit(x, y, epochs=2, verbose=0, callbacks=callbacks)
>>> fit_both(build, fit)                                                       # doctest: +SKIP
>>> assert_saves_loads_and_fits_again(models[-1], x[:64], fit, tmp_path)        # doctest: +SKIP
"""

import contextlib
import math

import numpy as np
import pytest

import keras
from callbacks import TrainingDiagnostics
from callbacks._guard import NotJudgedWarning

# The methods the diagnostics wrap while they observe a `fit`; none may stay on the model after it.
INSTRUMENTED = ("train_step", "test_step", "compute_loss")


def assert_saves_loads_and_fits_again(model, x, fit_again, tmp_path, not_judged=()):
    """`model` (after an observed `fit`) carries no wrapper, round-trips through a `.keras` file
    with the same predictions on `x`, and the loaded copy trains again, observed, to a finite loss.

    Args:
        model: the model of the observed run.
        x: a few input rows, in the model's input structure.
        fit_again: `fit_again(model, callbacks) -> keras.callbacks.History`: one short `fit`.
        tmp_path: a folder for the `.keras` file.
        not_judged: parts of the `NotJudgedWarning`s the loaded copy's observed `fit` may give
            (as in `fit_both`); any other one fails.
    """
    assert not set(INSTRUMENTED) & set(vars(model)), sorted(set(INSTRUMENTED) & set(vars(model)))
    assert "apply" not in vars(model.optimizer)
    path = tmp_path / "observed.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(_flat(loaded.predict(x, verbose=0)), _flat(model.predict(x, verbose=0)),
                               rtol=1e-6, atol=1e-6)
    # (The observed model itself fitting again is `test_resume`'s.)
    with pytest.warns(NotJudgedWarning) if not_judged else contextlib.nullcontext([]) as said:
        history = fit_again(loaded, [TrainingDiagnostics(verbose=0)])
    messages = [str(warning.message) for warning in said if issubclass(warning.category, NotJudgedWarning)]
    assert all(any(part in message for part in not_judged) for message in messages), messages
    assert all(math.isfinite(value) for value in history.history["loss"]), history.history


def _flat(predictions):
    """Predictions of one or several outputs (a list or dict of arrays) as one flat array."""
    return np.concatenate([np.ravel(part) for part in keras.tree.flatten(predictions)])
