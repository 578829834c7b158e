"""Every public callback of this package saves and loads through `keras.saving`."""

import keras
import pytest

import callbacks
from callbacks._monitor import Monitor

SAVED_CALLBACKS = [
    callbacks.ActivationMonitor(probe_size=32, log_layers=False),
    callbacks.DeferredReweighting(start_epoch=3),
    callbacks.GeneralizationMonitor(patience=4, min_delta=0.01),
    callbacks.GradientMonitor(every=8, stop_on_nonfinite=True),
    callbacks.ImbalanceMonitor(every=2),
    callbacks.OscillationMonitor(block_steps=5),
    callbacks.SetupMonitor(rows=128),
    callbacks.StallMonitor(window=4, escape="lr"),
    callbacks.TrainingDiagnostics(verbose=0, log_layers=False),
]


@pytest.mark.parametrize("callback", SAVED_CALLBACKS, ids=lambda c: type(c).__name__)
def test_callback_round_trips_through_keras_saving(callback):
    config = keras.saving.serialize_keras_object(callback)
    assert config["registered_name"] == f"zoo_diagnostics>{type(callback).__name__}"
    restored = keras.saving.deserialize_keras_object(config)
    assert type(restored) is type(callback) and restored.get_config() == callback.get_config()


def test_every_public_monitor_is_a_monitor():
    public = [getattr(callbacks, name) for name in callbacks.__all__ if name.endswith(("Monitor", "Diagnostics"))]
    assert public and all(issubclass(cls, Monitor) for cls in public)
