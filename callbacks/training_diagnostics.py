"""`TrainingDiagnostics`: every monitor in one callback, plus `run.json` and a report.

Example:

>>> diagnostics = TrainingDiagnostics(report_dir="runs/mlp")            # doctest: +SKIP
>>> model.fit(x, y, epochs=10, callbacks=[diagnostics])                 # doctest: +SKIP
>>> for finding in diagnostics.findings:                                # doctest: +SKIP
...     print(finding)
"""

import datetime
import inspect
import os
import warnings

import keras

from callbacks._arguments import Callbacks, Path, Verbosity, keep_checked
from callbacks._guard import MonitorFailedWarning, MonitorGuard, Skipped, describe
from callbacks._monitor import Monitor
from callbacks._random_state import random_state_kept
from callbacks._step_switch import StepSwitch
from callbacks._telemetry import attached_period
from callbacks._tensorboard import HistogramWriter
from callbacks.activation_monitor import ActivationMonitor
from callbacks.generalization_monitor import GeneralizationMonitor
from callbacks.gradient_monitor import GradientMonitor
from callbacks.imbalance_monitor import ImbalanceMonitor
from callbacks.oscillation_monitor import OscillationMonitor
from callbacks.setup_monitor import SetupMonitor
from callbacks.stall_monitor import StallMonitor
from diagnostics import judgement, remedies
from diagnostics import report as report_lib
from diagnostics._format import to_float
from zoo._serialization import register_serializable
from zoo._validation import Boolean, Optional

# Monitors only record (none reads another's values), so their order changes no finding.
DEFAULT_MONITORS = [
    SetupMonitor,
    GradientMonitor,
    ActivationMonitor,
    GeneralizationMonitor,
    OscillationMonitor,
    StallMonitor,
    ImbalanceMonitor,
]
_CONSTRAINTS = {"monitors": Optional(Callbacks()), "report_dir": Optional(Path()), "verbose": Verbosity(2),
                "log_layers": Boolean(), "tensorboard_dir": Optional(Path())}


@register_serializable(legacy_package="callbacks")
class TrainingDiagnostics(Monitor):
    """Runs several monitors on one `fit`, collects their findings and writes a report.

    Each monitor is an ordinary callback with a `.findings` list; it may also expose `.extras`, a
    JSON-safe dict saved under `run.json["extras"][<MonitorClass>]`.

    A monitor never breaks the user's `fit`: an unexpected exception in one of its hooks, or while
    its findings are read, becomes one `MonitorFailedWarning` naming the monitor and the cause;
    that monitor is switched off for the rest of the run and a note of what it did not judge goes
    to `skipped` and `run()["skipped"]`. A run starts when Keras attaches this callback
    to a model (`set_model`, at the start of every `fit`). Training goes on, and a monitor built
    with `stop_on_nonfinite=True` still stops it at the first non-finite loss after it failed.

    Args:
        monitors: callback instances or classes to run; classes are built with their defaults.
            Default: `DEFAULT_MONITORS`.
        report_dir: folder for `run.json`, `report.md` and plots, written at the end of training
            (by the chief only, under `MultiWorkerMirroredStrategy`; every worker still has the
            findings). None writes nothing (call `report(path)` yourself).
        verbose: 0 silent, 1 or 2 print the findings at the end of training.
        log_layers: False keeps the per-layer values out of `logs` (a short progress bar line):
            every monitor with a `log_layers` attribute gets it. They stay in `.history`,
            `run.json` and the report.
        tensorboard_dir: a TensorBoard log folder, or None. Given, a `HistogramWriter` also writes
            per-layer histograms of gradients and activations there at every epoch end (beside
            the scalars a `keras.callbacks.TensorBoard(tensorboard_dir)` in the same `fit` writes
            from `logs`).

    Attributes:
        monitors: the monitor instances, in the order they run.
        findings: after `fit`, `diagnostics.judge` on the record of all monitors (`run()`): the
            same verdict `python -m diagnostics run.json` gives. A cause comes before the
            findings it explains, which name it (`explained_by`).
        history: `{key: [value per epoch]}` as seen at the end of every epoch (all monitors' keys).
        skipped: list of `callbacks._guard.Skipped` (`monitor`, `hook`, `reason`): one per monitor
            switched off in this run because it failed, one (`hook="not_judged"`) per signal a
            monitor could not judge (its `not_judged`), and one (`hook="report"`) when the report
            could not be written.

    Example:

    >>> diagnostics = TrainingDiagnostics(verbose=0)
    >>> len(diagnostics.monitors) == len(DEFAULT_MONITORS)
    True
    >>> diagnostics.skipped
    []
    """

    @property
    def async_safe(self):
        """True when every monitor's batch-end hooks may run in a Keras worker thread.

        Keras runs batch-end hooks synchronously, one device sync per step, as soon as one
        callback overrides them without declaring `async_safe`; that alone costs ~10% of a
        small model's `fit`.
        """
        return all(_async_safe(monitor) for monitor in self.monitors)

    def __init__(self, monitors=None, report_dir=None, verbose=1, log_layers=True, tensorboard_dir=None):
        super().__init__()
        keep_checked(self, _CONSTRAINTS, monitors=monitors, report_dir=report_dir, verbose=verbose,
                     log_layers=log_layers, tensorboard_dir=tensorboard_dir)
        self.monitors = [self._make_monitor(m) for m in (DEFAULT_MONITORS if self.monitors is None else self.monitors)]
        if self.tensorboard_dir is not None:
            self.monitors.append(HistogramWriter(self.tensorboard_dir))
        if not log_layers:
            for monitor in self.monitors:
                if hasattr(monitor, "log_layers"):
                    monitor.log_layers = False
        self._guards = [MonitorGuard(monitor) for monitor in self.monitors]
        self._batch_guards = {}
        self._own_failures = []
        self.history = {}
        self.findings = []
        self._meta = {}
        self._switch = None

    def _make_monitor(self, monitor):
        if isinstance(monitor, keras.callbacks.Callback):
            return monitor
        if inspect.isclass(monitor) and issubclass(monitor, keras.callbacks.Callback):
            return monitor()  # quiet: this callback prints the combined findings itself
        raise TypeError(
            "`monitors` must hold keras.callbacks.Callback instances or classes. "
            f"Received: monitors entry={monitor!r}"
        )

    def get_config(self):
        """The constructor arguments; `monitors` is saved as None (the defaults), since monitor
        instances with their state cannot be rebuilt from a config."""
        return {"monitors": None, "report_dir": self.report_dir, "verbose": self.verbose,
                "log_layers": self.log_layers, "tensorboard_dir": self.tensorboard_dir}


    @property
    def findings(self):
        """The run's verdict, `diagnostics.judge(self.run())` with the model's setup, judged once
        when training ends (empty before); what `run()` and `run.json` hold."""
        return list(self.__dict__.get("_verdict", []))

    @findings.setter
    def findings(self, findings):
        self.__dict__["_verdict"] = list(findings)

    @property
    def skipped(self):
        """`Skipped` notes of this run: the monitors that failed, where and why, and what the
        working ones could not judge."""
        failed = [guard.skipped for guard in self._guards if guard.skipped]
        unjudged = [Skipped(guard.name, "not_judged", reason) for guard in self._guards if not guard.skipped
                    for reason in _reasons(getattr(guard.monitor, "not_judged", None))]
        return failed + unjudged + self._own_failures

    # -- forwarding ------------------------------------------------------------------------------

    def set_model(self, model):
        super().set_model(model)
        self._guards = [MonitorGuard(monitor) for monitor in self.monitors]  # a new run
        self._batch_guards = {}
        self._own_failures = []
        self._forward("set_model", model)

    def set_params(self, params):
        super().set_params(params)
        self._forward("set_params", params)

    def _forward(self, hook, *args):
        # Monitors run the model on probe rows between steps; the training's random streams
        # (dropout masks) must go on as they would without them.
        with random_state_kept(self.model):
            for guard in self._guards:
                guard.call(hook, *args)

    def _forward_batch(self, hook, *args):
        """A batch hook runs at every step: it goes only to the monitors that define it."""
        guards = self._batch_guards.get(hook)
        if guards is None:
            guards = self._batch_guards[hook] = [guard for guard in self._guards if _overrides(guard.monitor, hook)]
        for guard in guards:
            guard.call(hook, *args)

    def on_train_begin(self, logs=None):
        self.history = {}
        self.findings = []
        self._meta = {"started": _now()}
        try:  # at the initial weights: the remedies read them (an all-zero start, a large bias)
            self._meta["setup"] = {**remedies.describe_setup(self.model),
                                   "steps_per_epoch": (self.params or {}).get("steps")}
        except Exception as error:  # noqa: BLE001 - remedies then rest on the evidence alone
            self._own_failures.append(Skipped(type(self).__name__, "setup", describe(error)))
        self._forward("on_train_begin", logs)
        self._switch = StepSwitch(self.model)
        params = self.params or {}
        self._switching("attach", params.get("steps"), attached_period(self.model), params.get("epochs"))

    def on_epoch_begin(self, epoch, logs=None):
        super().on_epoch_begin(epoch, logs)
        self._forward("on_epoch_begin", epoch, logs)
        self._switching("begin_epoch", epoch)

    def _switching(self, action, *args):
        """Runs the `StepSwitch` method `action`; one that fails leaves the instrumented step in
        place (the signals are the same, only slower), never the user's `fit` broken."""
        if self._switch is None:
            return
        try:
            getattr(self._switch, action)(*args)
        except Exception:  # noqa: BLE001 - a speed-up only
            switch, self._switch = self._switch, None
            try:
                switch.detach()
            except Exception:  # noqa: BLE001
                pass

    def on_train_batch_begin(self, batch, logs=None):
        self._forward_batch("on_train_batch_begin", batch, logs)

    def on_train_batch_end(self, batch, logs=None):
        self._forward_batch("on_train_batch_end", batch, logs)

    def on_test_begin(self, logs=None):
        self._forward("on_test_begin", logs)

    def on_test_end(self, logs=None):
        self._forward("on_test_end", logs)

    def on_epoch_end(self, epoch, logs=None):
        self._forward("on_epoch_end", epoch, logs)
        values = dict(logs or {})
        epochs_so_far = len(next(iter(self.history.values()), []))
        for guard in self._guards:  # per-layer values a monitor kept out of `logs` (log_layers=False)
            for key, series in guard.read("history", {}).items():
                if ("/" in key and key not in values and isinstance(series, list)
                        and len(series) == epochs_so_far + 1):
                    values[key] = series[-1]
        for key, value in values.items():
            # A key that appears late is padded with NaN so every series has one value per epoch.
            series = self.history.setdefault(key, [float("nan")] * epochs_so_far)
            series.append(to_float(value))
        for key, series in self.history.items():
            if len(series) < epochs_so_far + 1:
                series.append(float("nan"))

    def on_train_end(self, logs=None):
        self._switching("detach")  # before the monitors detach from the step
        self._switch = None
        self._forward("on_train_end", logs)
        self._meta.update(self._describe_run())
        try:
            self.findings = judgement.judge(self.run())
        except Exception as error:  # noqa: BLE001 - the training is done; a verdict that fails must not undo it
            self._own_failures.append(Skipped(type(self).__name__, "judge", describe(error)))
            warnings.warn(f"TrainingDiagnostics: the run could not be judged ({self._own_failures[-1].reason}); "
                          "run.json still holds its record.", MonitorFailedWarning, stacklevel=2)
        if self.verbose:
            if self.findings:
                print(f"TrainingDiagnostics: {len(self.findings)} finding(s):")
                for finding in self.findings:
                    print(f"  {finding}")
            else:
                print("TrainingDiagnostics: no problems found.")
            for note in self.skipped:
                print(f"  not judged: {note.monitor} failed in {note.hook} ({note.reason})")
        if self.report_dir is not None and _is_chief(self.model):
            try:
                path = self.report(self.report_dir)
            except Exception as error:  # the training is done; a report that cannot be written must not undo it
                self._own_failures.append(Skipped(type(self).__name__, "report", describe(error)))
                warnings.warn(f"TrainingDiagnostics: the report could not be written to {self.report_dir} "
                              f"({self._own_failures[-1].reason}).", MonitorFailedWarning, stacklevel=2)
            else:
                if self.verbose:
                    print(f"TrainingDiagnostics: report written to {path}")

    # -- results ---------------------------------------------------------------------------------

    def _describe_run(self):
        meta = {"finished": _now(), "epochs_run": len(next(iter(self.history.values()), []))}
        model = self.model
        if model is not None:
            meta["model"] = model.name
            meta["parameters"] = int(model.count_params()) if model.built else None
            optimizer = getattr(model, "optimizer", None)
            if optimizer is not None:
                meta["optimizer"] = type(optimizer).__name__
        meta["params"] = {k: v for k, v in (self.params or {}).items() if isinstance(v, (int, float, str))}
        meta["keras_version"] = keras.__version__
        return meta

    def run(self):
        """The run record that `diagnostics.judge` decides on, as `run.json` holds it:
        `{"version", "history", "findings", "meta", "extras", "skipped"}`.

        `extras[<monitor class>]` holds what each monitor observed besides the series; `skipped`
        lists what was not judged, one `{"monitor", "hook", "reason"}` per monitor switched off
        because it failed or per signal it could not judge; the report shows them under
        "Not judged".
        """
        extras, chance_losses = {}, []
        for guard in self._guards:
            record = guard.read("record", None) or _foreign_record(guard)
            monitor_extras = record["extras"].get(guard.name)
            if monitor_extras:
                key, count = guard.name, 1
                while key in extras:  # two monitors of one class: each keeps its record
                    count += 1
                    key = f"{guard.name}#{count}"
                extras[key] = monitor_extras
            chance_losses.append(record["meta"].get("chance_loss"))
        meta = dict(self._meta)
        meta["monitors"] = [guard.name for guard in self._guards if guard.active]
        meta["first_epoch"] = self.first_epoch  # the judge numbers the findings' epochs from it
        meta["chance_loss"] = next((value for value in chance_losses if value is not None), None)
        return {
            "version": judgement.RECORD_VERSION,
            "history": self.history,
            "findings": list(self.findings),
            "meta": meta,
            "extras": extras,
            "skipped": [note.to_dict() for note in self.skipped],
        }

    def report(self, path):
        """Writes `run.json`, `report.md` and the plots into folder `path`; returns the report path."""
        if not isinstance(path, (str, os.PathLike)):
            raise TypeError(f"`path` must be a folder path. Received: path={path!r}")
        path = os.fspath(path)
        os.makedirs(path, exist_ok=True)
        run = self.run()
        report_lib.save_run(run, os.path.join(path, "run.json"))
        return report_lib.write_report(run, path)


def _foreign_record(guard):
    """The record of a callback that is no `Monitor` (a user's own, in `monitors=`): its
    `findings`, taken as observed, and its `extras`."""
    findings = guard.read("findings", None) or []
    extras = dict(guard.read("extras", None) or {})
    if findings:
        extras["findings"] = [finding.to_dict() for finding in findings]
    return {"extras": {guard.name: extras}, "meta": {}}


def _reasons(not_judged):
    """A monitor's `not_judged` (None, a sentence, or a list of them) as a list of sentences."""
    if not not_judged:
        return []
    return [not_judged] if isinstance(not_judged, str) else [str(reason) for reason in not_judged]


def _async_safe(callback):
    if getattr(callback, "async_safe", False):
        return True
    hooks = ("on_batch_end", "on_train_batch_end", "on_test_batch_end", "on_predict_batch_end")
    return not any(_overrides(callback, hook) for hook in hooks)


def _overrides(callback, hook):
    """Whether `callback` defines `hook` (on its class or instance), not Keras' empty default."""
    own = getattr(callback, hook, None)
    return getattr(own, "__func__", own) is not getattr(keras.callbacks.Callback, hook)


def _is_chief(model):
    """False on the workers of a multi-worker strategy other than the chief: one report per run."""
    strategy = getattr(model, "distribute_strategy", None)
    try:
        return bool(strategy.extended.should_checkpoint)
    except (AttributeError, NotImplementedError):  # no strategy, or one that does not say
        return True


def _now():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")
