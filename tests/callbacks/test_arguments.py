"""Every constructor in `callbacks/` refuses a bad value of every one of its arguments, with an error
that names the argument and ends with the Keras `Received: name=value` of what it was given."""

import dataclasses
import importlib
import inspect
import pathlib
import pkgutil

import keras
import numpy as np
import pytest

import callbacks
from callbacks import (ActivationMonitor, DeferredReweighting, GeneralizationMonitor, GradientMonitor, HistogramWriter,
                       ImbalanceMonitor, OscillationMonitor, SetupMonitor, StallMonitor, SWABatchNormUpdate,
                       TrainingDiagnostics)
from callbacks._arguments import keep_checked
from callbacks._batch_probe import BatchProbe
from callbacks._guard import MonitorGuard
from callbacks._telemetry import GradientTelemetry
from callbacks._probe_schedule import ProbeSchedule
from callbacks._step_switch import StepSwitch
from callbacks._time_gradient import TimeGradientProbe
from zoo._validation import Constraint, Integer


def _model():
    return keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])


# The arguments a constructor cannot do without; every other argument keeps its default.
REQUIRED = {
    DeferredReweighting: lambda: {"start_epoch": 2},
    SWABatchNormUpdate: lambda: {"x": np.zeros((4, 2), "float32")},
    HistogramWriter: lambda: {"log_dir": "logs"},
    GradientTelemetry: lambda: {"model": _model()},
    BatchProbe: lambda: {"model": _model()},
    StepSwitch: lambda: {"model": _model()},
    MonitorGuard: lambda: {"monitor": GradientMonitor()},
}

# (class, argument, bad value, error type): at least one row for every argument of every class.
BAD = [
    (ActivationMonitor, "probe_data", "rows", TypeError),
    (ActivationMonitor, "probe_size", 0, ValueError),
    (ActivationMonitor, "log_layers", 1, TypeError),
    (ActivationMonitor, "verbose", 2, ValueError),
    (GradientMonitor, "every", 0, ValueError),
    (GradientMonitor, "every", 2.0, TypeError),
    (GradientMonitor, "log_layers", "no", TypeError),
    (GradientMonitor, "stop_on_nonfinite", None, TypeError),
    (GradientMonitor, "verbose", "loud", TypeError),
    (GradientMonitor, "verbose", -1, ValueError),
    (GeneralizationMonitor, "monitor", 3, TypeError),
    (GeneralizationMonitor, "monitor", "", ValueError),
    (GeneralizationMonitor, "mode", "up", ValueError),
    (GeneralizationMonitor, "patience", 0, ValueError),
    (GeneralizationMonitor, "min_delta", -1.0, ValueError),
    (GeneralizationMonitor, "chance_loss", 0.0, ValueError),
    (GeneralizationMonitor, "verbose", 2, ValueError),
    (ImbalanceMonitor, "y", "labels", TypeError),
    (ImbalanceMonitor, "y", [0, 1, 1], TypeError),
    (ImbalanceMonitor, "validation_data", np.zeros(3), TypeError),
    (ImbalanceMonitor, "validation_data", (np.zeros((3, 2)), np.zeros(3), np.ones(3)), TypeError),
    (ImbalanceMonitor, "every", 0, ValueError),
    (ImbalanceMonitor, "batch_size", 2.5, TypeError),
    (ImbalanceMonitor, "ratio_threshold", 0.5, ValueError),
    (ImbalanceMonitor, "min_recall", 1.5, ValueError),
    (ImbalanceMonitor, "verbose", 2, ValueError),
    (OscillationMonitor, "block_steps", 0, ValueError),
    (OscillationMonitor, "verbose", 2, ValueError),
    (SetupMonitor, "rows", 0, ValueError),
    (SetupMonitor, "verbose", 3, ValueError),
    (StallMonitor, "probe_data", [1, 2, 3, 4], TypeError),
    (StallMonitor, "probe_data", (np.zeros((4, 2)), "targets"), TypeError),
    (StallMonitor, "probe_size", 0, ValueError),
    (StallMonitor, "window", 0, ValueError),
    (StallMonitor, "max_iter", 1.5, TypeError),
    (StallMonitor, "max_probes", -1, ValueError),
    (StallMonitor, "escape", "jump", ValueError),
    (StallMonitor, "lr_factor", 0.0, ValueError),
    (StallMonitor, "every_steps", 0, ValueError),
    (StallMonitor, "verbose", 5, ValueError),
    (TrainingDiagnostics, "monitors", [object()], TypeError),
    (TrainingDiagnostics, "monitors", GradientMonitor, TypeError),
    (TrainingDiagnostics, "report_dir", 3, TypeError),
    (TrainingDiagnostics, "verbose", 3, ValueError),
    (TrainingDiagnostics, "log_layers", "False", TypeError),
    (TrainingDiagnostics, "tensorboard_dir", 3.0, TypeError),
    (HistogramWriter, "log_dir", 3, TypeError),
    (HistogramWriter, "log_dir", "", ValueError),
    (HistogramWriter, "probe_size", 0, ValueError),
    (DeferredReweighting, "start_epoch", -1, ValueError),
    (DeferredReweighting, "beta", 1.0, ValueError),
    (DeferredReweighting, "loss", "mse", TypeError),
    (DeferredReweighting, "verbose", 2, ValueError),
    (SWABatchNormUpdate, "x", [1, 2], TypeError),
    (SWABatchNormUpdate, "batch_size", 0, ValueError),
    (SWABatchNormUpdate, "verbose", 2, ValueError),
    (GradientTelemetry, "model", "model", TypeError),
    (GradientTelemetry, "every", 0, ValueError),
    (GradientTelemetry, "warmup", -1, ValueError),
    (BatchProbe, "model", None, TypeError),
    (StepSwitch, "model", "model", TypeError),
    (MonitorGuard, "monitor", object(), TypeError),
    (ProbeSchedule, "share", 0.0, ValueError),
    (ProbeSchedule, "first_epochs", -1, ValueError),
    (TimeGradientProbe, "model", "model", TypeError),
]


@pytest.mark.parametrize("cls, argument, bad, error_type", BAD,
                         ids=[f"{row[0].__name__}-{row[1]}-{i}" for i, row in enumerate(BAD)])
def test_every_argument_refuses_a_bad_value(cls, argument, bad, error_type):
    arguments = {**REQUIRED.get(cls, dict)(), argument: bad}
    with pytest.raises(error_type) as refused:
        cls(**arguments)
    message = str(refused.value)
    assert isinstance(refused.value, (ValueError, TypeError))
    assert f"`{argument}`" in message
    assert message.endswith(f"Received: {argument}={bad!r}")


def _constructors():
    """Every class defined in a module of `callbacks/` with its own constructor (not an exception,
    a warning, a dataclass record or an argument constraint)."""
    found = set()
    for module_info in pkgutil.iter_modules(callbacks.__path__):
        module = importlib.import_module(f"callbacks.{module_info.name}")
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if (cls.__module__ == module.__name__ and "__init__" in vars(cls)
                    and not issubclass(cls, (BaseException, Constraint)) and not dataclasses.is_dataclass(cls)):
                found.add(cls)
    return found


def test_the_table_covers_every_argument_of_every_constructor():
    covered = {}
    for cls, argument, _, _ in BAD:
        covered.setdefault(cls, set()).add(argument)
    public = {cls for cls in _constructors() if not cls.__name__.startswith("_")}
    assert public == set(covered)
    for cls in public:
        parameters = set(inspect.signature(cls.__init__).parameters) - {"self"}
        assert covered[cls] == parameters, cls.__name__


def test_good_values_are_kept_normalised(tmp_path):
    monitor = GradientMonitor(every=np.int64(4), verbose=True)
    assert (monitor.every, type(monitor.every), monitor.verbose, type(monitor.verbose)) == (4, int, 1, int)
    diagnostics = TrainingDiagnostics(report_dir=pathlib.Path(tmp_path), tensorboard_dir=None, verbose=2,
                                      monitors=(GradientMonitor, OscillationMonitor()))
    assert diagnostics.report_dir == str(tmp_path) and diagnostics.verbose == 2
    assert [type(m) for m in diagnostics.monitors] == [GradientMonitor, OscillationMonitor]
    generalization = GeneralizationMonitor(monitor="val_accuracy")
    assert generalization.mode == "max" and generalization.get_config()["mode"] == "auto"
    x = np.zeros((4, 2), "float32")
    assert StallMonitor(probe_data=(x, x[:, :1], None)).probe_data[0] is x
    assert ImbalanceMonitor(y=x[:, 0], validation_data=[x, x]).validation_data[1] is x


def test_a_table_that_leaves_an_argument_out_is_refused():
    class Partial:
        def __init__(self, window=3, verbose=0):
            keep_checked(self, {"window": Integer(minimum=1)}, window=window, verbose=verbose)

    with pytest.raises(TypeError, match=r"Received: constraints=\['window'\]"):
        Partial()
