"""`MonitorGuard`: one monitor's failure never breaks the user's `fit`.

`TrainingDiagnostics` runs every monitor through a guard. An unexpected exception inside a hook,
or while the monitor's findings are read, becomes one `MonitorFailedWarning` naming the monitor
and the cause; the monitor is switched off for the rest of the run and the guard keeps a
`Skipped` note of what was not judged. A monitor asked to stop training on non-finite values
keeps that promise after it failed: its guard stops `fit` on the first non-finite batch loss, as
`keras.callbacks.TerminateOnNaN` does.

Example:

>>> import keras
>>> class Broken(keras.callbacks.Callback):
...     def on_epoch_end(self, epoch, logs=None):
...         raise KeyError("loss")
>>> guard = MonitorGuard(Broken())
>>> import warnings
>>> with warnings.catch_warnings(record=True):
...     guard.call("on_epoch_end", 0, {})
>>> guard.skipped
Skipped(monitor='Broken', hook='on_epoch_end', reason="KeyError: 'loss'")
>>> guard.active
False
"""

import dataclasses
import math
import re
import threading
import warnings

import keras

from callbacks._arguments import Instance, keep_checked

# Keras colours parts of its error messages for terminals; a note in run.json is plain text.
_TERMINAL_CODES = re.compile(r"\x1b\[[0-9;]*m")


class MonitorFailedWarning(RuntimeWarning):
    """A monitor of `TrainingDiagnostics` failed and was switched off; training went on."""


class NotJudgedWarning(UserWarning):
    """A monitor could not judge something in this run (the warning says what and why), and
    says so in its `not_judged` note; training went on, and the rest is judged."""


@dataclasses.dataclass(frozen=True)
class Skipped:
    """What a switched-off monitor did not judge, and why.

    Attributes:
        monitor: the monitor's class name.
        hook: where it failed: a callback hook (`"on_epoch_end"`) or `"findings"` when they were read.
        reason: the exception, as `"TypeName: message"`.
    """

    monitor: str
    hook: str
    reason: str

    def to_dict(self):
        """The note as a JSON-safe dict."""
        return dataclasses.asdict(self)

_CONSTRAINTS = {"monitor": Instance(keras.callbacks.Callback, "a keras.callbacks.Callback")}


class MonitorGuard:
    """Runs the hooks of one monitor so that its exceptions cannot reach Keras.

    Args:
        monitor: a `keras.callbacks.Callback`.

    Attributes:
        monitor: the guarded callback.
        skipped: a `Skipped` note once the monitor failed, else None.
    """

    def __init__(self, monitor):
        keep_checked(self, _CONSTRAINTS, monitor=monitor)
        self.skipped = None
        self._lock = threading.Lock()  # batch-end hooks may run in a Keras worker thread

    @property
    def active(self):
        """False once the monitor failed: its hooks are no longer called."""
        return self.skipped is None

    @property
    def name(self):
        return type(self.monitor).__name__

    def call(self, hook, *args):
        """Calls `monitor.<hook>(*args)` unless the monitor is switched off; returns None.

        A switched-off monitor still gets `on_train_end`, so that it can undo what it attached to
        the model; a second failure there is ignored (it is already noted).
        """
        if not self.active:
            if hook == "on_train_end" and self.skipped.hook != "on_train_end":
                try:
                    self.monitor.on_train_end(*args)
                except Exception:  # already switched off and noted; cleaning up is best effort
                    pass
            elif hook == "on_train_batch_end":
                self._stop_on_nonfinite_loss(*args)
            return
        try:
            getattr(self.monitor, hook)(*args)
        except Exception as error:
            self._switch_off(hook, error)

    def read(self, attribute, default):
        """`monitor.<attribute>` (called, when it is a method), or `default` when the monitor is
        off or reading it fails.

        Reading can judge (findings are computed when read), so it can fail like a hook.
        """
        if not self.active:
            return default
        try:
            value = getattr(self.monitor, attribute, default)
            return value() if callable(value) else value
        except Exception as error:
            self._switch_off(attribute, error)
            return default

    def _switch_off(self, hook, error):
        with self._lock:
            if not self.active:
                return
            self.skipped = Skipped(self.name, hook, describe(error))
        warnings.warn(
            f"TrainingDiagnostics: {self.name} failed in {hook} ({self.skipped.reason}). It is "
            "switched off for the rest of this run and its findings are not judged; training goes on.",
            MonitorFailedWarning,
            stacklevel=3,
        )

    def _stop_on_nonfinite_loss(self, batch, logs=None):
        if not getattr(self.monitor, "stop_on_nonfinite", False) or not logs or "loss" not in logs:
            return
        model = getattr(self.monitor, "model", None)
        if model is not None and not math.isfinite(float(logs["loss"])):
            model.stop_training = True


def describe(error):
    """`"TypeName: message"` of an exception, on one line, without terminal colour codes."""
    message = " ".join(_TERMINAL_CODES.sub("", str(error)).split())
    return f"{type(error).__name__}: {message}"
