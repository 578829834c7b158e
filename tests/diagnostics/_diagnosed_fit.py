"""One fit under `TrainingDiagnostics`, as the end-to-end tests of a hypothesis and its healthy
twin run it: same seed, same compile, same fit arguments, only the model differs.

Example:

>>> history, findings = diagnosed_fit(lambda: _mlp("zeros"), x, y, seed=0, epochs=8)  # doctest: +SKIP
"""

import warnings

import keras
import pytest
from sklearn.datasets import load_digits

from callbacks import TrainingDiagnostics
from callbacks._guard import NotJudgedWarning

# Three seeds for a detector's outcome on a training run: the first in the default tier, the other
# two in the slow tier (CI runs both), so the default suite stays short.
SEEDS_SLOW_AFTER_FIRST = [0] + [pytest.param(seed, marks=pytest.mark.slow) for seed in (1, 2)]


def diagnosed_fit(build, x, y, seed, epochs, callbacks=()):
    """Builds `build()` after `keras.utils.set_random_seed(seed)`, compiles it with Adam(1e-3) and
    sparse categorical cross-entropy, and fits it on `x`, `y` for `epochs` epochs (batches of 32,
    the last 20% of the rows for validation, shuffled) under `TrainingDiagnostics(verbose=0)`,
    its `NotJudgedWarning`s silenced.

    Args:
        build: `() -> keras.Model`, uncompiled; called after the seed is set.
        x, y: the training rows and their integer labels.
        seed: the seed of Keras, NumPy and Python for the model and the shuffles.
        epochs: as in `fit`.
        callbacks: the user's own callbacks, passed to `fit` before the diagnostics.

    Returns:
        `(history, findings)`: `History.history` and `TrainingDiagnostics.findings`.
    """
    keras.utils.set_random_seed(seed)
    model = build()
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    history, diagnostics = fit_under_diagnostics(model, x, y, epochs=epochs, batch_size=32, validation_split=0.2,
                                                 shuffle=True, callbacks=list(callbacks))
    return history, diagnostics.findings


def fit_under_diagnostics(model, x, y=None, callbacks=(), **fit_kwargs):
    """`model.fit(x, y, **fit_kwargs)` under `TrainingDiagnostics(verbose=0)` (after the user's
    `callbacks`), silent, its `NotJudgedWarning`s silenced.

    Returns:
        `(history, diagnostics)`: `History.history` and the `TrainingDiagnostics`.
    """
    diagnostics = TrainingDiagnostics(verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotJudgedWarning)
        history = model.fit(x, y, verbose=0, callbacks=[*callbacks, diagnostics], **fit_kwargs)
    return history.history, diagnostics


def scaled_digits():
    """scikit-learn's 1,797 digits as float32 pixels in [0, 1] (their 0-16 divided by 16) and
    their integer labels."""
    x, y = load_digits(return_X_y=True)
    return (x / 16.0).astype("float32"), y


# scikit-learn's digits have 1,797 rows: the first 1,400 train, the other 397 validate.
TRAINING_ROWS = 1400


def fit_with_held_out_rows(model, x, y, epochs, callbacks=(), batch_size=32):
    """`fit_under_diagnostics` on the first `TRAINING_ROWS` rows of `x`, `y` in batches of
    `batch_size`, validated on the rest (`x` may be a list of arrays, one per model input), with
    the user's `callbacks`.

    Returns:
        `(history, diagnostics)`: `History.history` and the `TrainingDiagnostics`.
    """
    def rows(data, part):
        return keras.tree.map_structure(lambda array: array[part], data)

    training, validation = slice(None, TRAINING_ROWS), slice(TRAINING_ROWS, None)
    return fit_under_diagnostics(model, rows(x, training), rows(y, training), callbacks=callbacks, epochs=epochs,
                                 batch_size=batch_size, validation_data=(rows(x, validation), rows(y, validation)))


def digits_mlp(optimizer, width=64):
    """Two `Dense(width, "relu")` layers and a 10-way softmax on 64 pixels, compiled with
    `optimizer` and sparse categorical cross-entropy: the digits classifier the optimizer-setting
    tests vary."""
    dense = keras.layers.Dense
    model = keras.Sequential([keras.Input((64,)), dense(width, activation="relu"), dense(width, activation="relu"),
                              dense(10, activation="softmax")])
    model.compile(optimizer, "sparse_categorical_crossentropy")
    return model


def fit_digits_mlp(make_optimizer, seed, epochs):
    """`digits_mlp(make_optimizer())` built after `keras.utils.set_random_seed(seed)` and fitted on
    the digits with `fit_with_held_out_rows`. Returns `(history, diagnostics)`."""
    x, y = scaled_digits()
    keras.utils.set_random_seed(seed)
    return fit_with_held_out_rows(digits_mlp(make_optimizer()), x, y, epochs)
