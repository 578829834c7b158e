"""What every client test asks of `TrainingDiagnostics` on a program a Keras user writes.

A client test builds its model twice from one seed and runs the same `fit` on each, once plain and
once with `TrainingDiagnostics(verbose=0)` (`fit_both`). The callback only observes: the losses
(every key of the plain run's History) must be identical, no monitor may fail, and whatever a
monitor could not judge must be listed in `diagnostics.skipped` (`assert_unjudged_is_skipped`).

Example:

>>> diagnostics, plain, observed = fit_both(build, lambda model, callbacks: model.fit(   # doctest: +SKIP
...     x, y, epochs=3, verbose=0, callbacks=callbacks))
>>> assert_healthy(diagnostics)                                                       # doctest: +SKIP
"""

import contextlib
import math
import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits

import keras
from callbacks import TrainingDiagnostics
from callbacks._guard import MonitorFailedWarning, NotJudgedWarning

# The default tier runs one seed; a healthy run must stay healthy at two more (slow tier).
SEEDS = [0, pytest.param(1, marks=pytest.mark.slow), pytest.param(2, marks=pytest.mark.slow)]
DIGIT_CLASSES = 10


def digits():
    """sklearn's 1,797 8x8 digits as float32 rows of 64 pixels in [0, 1], and their labels."""
    data = load_digits()
    return (data.data / 16.0).astype("float32"), data.target.astype("int32")


def standardized_digits():
    """The digits with every pixel centred and scaled to unit variance (constant pixels kept at 0)."""
    x, y = digits()
    spread = x.std(axis=0)
    return ((x - x.mean(axis=0)) / np.where(spread > 0, spread, 1.0)).astype("float32"), y


def logits_classifier(inputs, hidden, optimizer=None, **compile_kwargs):
    """`keras.Model(inputs, Dense(DIGIT_CLASSES, name="logits")(hidden))`, compiled as the digit
    clients compile: sparse categorical cross-entropy on logits, Adam 0.01 by default."""
    model = keras.Model(inputs, keras.layers.Dense(DIGIT_CLASSES, name="logits")(hidden))
    model.compile(optimizer or keras.optimizers.Adam(0.01),
                  keras.losses.SparseCategoricalCrossentropy(from_logits=True), **compile_kwargs)
    return model


def digits_classifier(optimizer=None, **compile_kwargs):
    """A compiled 64-32-10 ReLU network for `digits()`, with logits out (Adam 0.01 by default)."""
    inputs = keras.Input((64,))
    hidden = keras.layers.Dense(32, activation="relu", name="hidden")(inputs)
    return logits_classifier(inputs, hidden, optimizer, **compile_kwargs)


def recorded(models, fit):
    """`fit(model, callbacks, epochs)` as a `fit(model, callbacks, epochs=3)` for `fit_both` that
    first appends each model it trains to `models` (for the checks after)."""
    def recording(model, callbacks, epochs=3):
        models.append(model)
        return fit(model, callbacks, epochs)
    return recording


def recording_fit(models, x, y, train_rows):
    """`recorded(models, ...)` of a fit on the first `train_rows` rows of `x, y`, validated on the
    rest, batches of 32."""
    return recorded(models, lambda model, callbacks, epochs: model.fit(
        x[:train_rows], y[:train_rows], validation_data=(x[train_rows:], y[train_rows:]), batch_size=32,
        epochs=epochs, verbose=0, callbacks=callbacks))


def fit_both(build, fit, seed=0, diagnostics=None, not_judged=()):
    """Runs `fit(model, callbacks)` on a model from `build()`, plain and then with the callback.

    Both models are built after `keras.utils.set_random_seed(seed)`, so they start from the same
    weights and see the data in the same order.

    Args:
        build: `build() -> keras.Model`, compiled.
        fit: `fit(model, callbacks) -> keras.callbacks.History` (or a list of them for a program
            that calls `fit` several times).
        seed: the seed of both runs.
        diagnostics: the callback to observe with; default `TrainingDiagnostics(verbose=0)`.
        not_judged: parts of the `NotJudgedWarning`s the program is expected to give (what
            does not apply to it), each given at least once; any other one fails the test.

    Returns:
        `(diagnostics, plain history, observed history)`. Fails if the histories differ or a
        monitor warned that it failed.
    """
    keras.utils.set_random_seed(seed)
    plain = _histories(fit(build(), []))
    diagnostics = diagnostics or TrainingDiagnostics(verbose=0)
    keras.utils.set_random_seed(seed)
    with warnings.catch_warnings():
        warnings.simplefilter("error", MonitorFailedWarning)
        with pytest.warns(NotJudgedWarning) if not_judged else contextlib.nullcontext([]) as said:
            observed = _histories(fit(build(), [diagnostics]))
    messages = [str(warning.message) for warning in said if issubclass(warning.category, NotJudgedWarning)]
    assert all(any(part in message for part in not_judged) for message in messages), messages
    assert all(any(part in message for message in messages) for part in not_judged), messages
    assert_same_losses(plain, observed)
    return diagnostics, plain, observed


def _histories(result):
    return [history.history for history in (result if isinstance(result, list) else [result])]


def assert_same_losses(plain, observed):
    """Every key of every plain History holds the same values in the observed one."""
    assert len(plain) == len(observed)
    for plain_run, observed_run in zip(plain, observed):
        for key, values in plain_run.items():
            np.testing.assert_array_equal(observed_run[key], values, err_msg=key)


def assert_learned(history, chance_loss, fraction=0.5):
    """The last training loss is finite and below `fraction` of the loss at chance."""
    last = history["loss"][-1]
    assert math.isfinite(last) and last < fraction * chance_loss, f"loss {history['loss']}, chance {chance_loss}"


def assert_digits_fit_is_healthy(fit, seed):
    """`fit_both` on `digits_classifier`: the same losses with and without the diagnostics, a
    model that learned, and no finding and nothing skipped."""
    diagnostics, _, (history,) = fit_both(digits_classifier, fit, seed)
    assert_learned(history, math.log(DIGIT_CLASSES))
    assert_healthy(diagnostics)


def skipped_monitors(diagnostics):
    """Names of the monitors with a note in `diagnostics.skipped`."""
    return {note.monitor for note in diagnostics.skipped}


def unjudged(monitor):
    """What `monitor` says it did not judge (`not_judged`, or the `not_judged` or `unjudged` of
    its `extras`), or None."""
    extras = getattr(monitor, "extras", None) or {}
    notes = [getattr(monitor, "not_judged", None), extras.get("not_judged"), extras.get("unjudged")]
    return next((note for note in notes if note), None)


def assert_unjudged_is_skipped(diagnostics, not_applicable=()):
    """Every monitor that says it did not judge something is in `skipped`, but for the monitors
    named in `not_applicable` (whose signal the program has no use for)."""
    notes = {type(monitor).__name__: unjudged(monitor) for monitor in diagnostics.monitors
             if type(monitor).__name__ not in not_applicable}
    missing = {name: note for name, note in notes.items() if note and name not in skipped_monitors(diagnostics)}
    assert missing == {}, f"not judged, yet not in skipped: {missing}; skipped: {diagnostics.skipped}"


def assert_healthy(diagnostics):
    """No finding, and nothing left unjudged (so nothing skipped)."""
    findings = [str(finding) for finding in diagnostics.findings]
    assert findings == [], findings
    assert_unjudged_is_skipped(diagnostics)
    assert diagnostics.skipped == [], diagnostics.skipped


def kinds(diagnostics):
    """The kinds of the findings, as a set."""
    return {finding.kind for finding in diagnostics.findings}
