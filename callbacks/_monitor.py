"""`Monitor`: the base of this package's callbacks: they record, `diagnostics.judge` decides.

A monitor keeps what it observed in `history` (`{key: [value per epoch]}`) and `extras` (a
JSON-safe dict). `record()` puts them into the run-record schema of `diagnostics.judge`, and
`findings` is that judge's verdict on this monitor's record alone: a monitor used on its own and
`TrainingDiagnostics` (which judges the records of all its monitors together) decide in the same
one place.

Keras rebuilds a registered object from its `get_config()` with `from_config`, which
`keras.callbacks.Callback` does not have; every callback here is built from plain arguments, so
one `from_config` serves them all.

Example:

>>> import keras
>>> class Quiet(Monitor):
...     def __init__(self, patience=2):
...         super().__init__()
...         self.patience = patience
...     def get_config(self):
...         return {"patience": self.patience}
>>> Quiet.from_config(Quiet(patience=5).get_config()).patience
5
>>> Quiet().findings
[]
"""

import types

import keras

from callbacks._left_over import release_left_over
from diagnostics import judgement
from diagnostics.generalization import model_chance_loss

# The one scalar a monitor writes into `logs` without a "<signal>/<layer>" name (StallMonitor's).
GLOBAL_GRAD_NORM = "global_grad_norm"


def is_monitor_signal(key):
    """Whether a `logs` key is a monitor's output (a per-layer signal, or `GLOBAL_GRAD_NORM`)
    rather than one of Keras' metrics: monitors never read each other's values from `logs`."""
    return "/" in key or key == GLOBAL_GRAD_NORM


class Monitor(keras.callbacks.Callback):
    """A Keras callback that records a run for `diagnostics.judge` and that `keras.saving` can
    rebuild from its `get_config()`."""

    # No series by default (read-only: a monitor that keeps series sets its own dict).
    history = types.MappingProxyType({})

    def set_model(self, model):
        """Keras calls this when a `fit` starts, before any `on_train_begin`: whatever a `fit`
        that ended in an exception left attached to `model` is released first."""
        super().set_model(model)
        release_left_over(model)
        self.__dict__["_numbering_pending"] = True

    @property
    def first_epoch(self):
        """Keras' number of the first epoch of the last `fit` that ran one: its `initial_epoch`,
        or the epoch a `keras.callbacks.BackupAndRestore` resumed at (0 before any). The
        monitors count epochs from 0 in their series; the judge numbers findings from here."""
        return self.__dict__.get("_first_epoch", 0)

    def on_epoch_begin(self, epoch, logs=None):
        """Notes Keras' number of the `fit`'s first epoch (`first_epoch`); a monitor that
        overrides this hook calls it first."""
        if self.__dict__.get("_numbering_pending", True):
            self.__dict__["_first_epoch"] = int(epoch)
            self.__dict__["_numbering_pending"] = False

    @property
    def extras(self):
        """JSON-safe observations besides the per-epoch series (none by default)."""
        return {}

    @property
    def not_judged(self):
        """Why something could not be judged in this run (a sentence), or None."""
        return self.__dict__.get("_not_judged")

    @not_judged.setter
    def not_judged(self, reason):
        self.__dict__["_not_judged"] = reason

    def record(self):
        """This monitor's run record: its series, its extras (with the findings it observed
        directly, if any), and the run's chance loss."""
        model = self.model
        extras = dict(self.extras)
        observed = self.__dict__.get("_observed")
        if observed:
            extras["findings"] = [finding.to_dict() for finding in observed]
        return {
            "version": judgement.RECORD_VERSION,
            "history": {key: list(values) for key, values in self.history.items()},
            "meta": {"monitors": [type(self).__name__], "first_epoch": self.first_epoch,
                     "chance_loss": None if model is None else model_chance_loss(model)},
            "extras": {type(self).__name__: extras},
        }

    @property
    def findings(self):
        """`diagnostics.judge` on this monitor's record alone."""
        return judgement.judge(self.record())

    @findings.setter
    def findings(self, observed):
        """Findings a monitor observes directly rather than from series (the setup checks on the
        model and data): recorded as they are, and taken as given by the judge."""
        self.__dict__["_observed"] = list(observed)

    @classmethod
    def from_config(cls, config):
        """The callback built again from the dict `get_config()` returned."""
        return cls(**config)
