"""Forecasting from windows that `keras.utils.timeseries_dataset_from_array` cuts from a series:
its spec leaves the window length open (`(None, None, 1)`), the model declares it
(`Input((16, 1))`), and the probe keeps its rows in that shape, so every check runs."""

import numpy as np
import pytest

import keras
from tests.clients._after_fit import assert_saves_loads_and_fits_again
from tests.clients._client import SEEDS, assert_learned, assert_unjudged_is_skipped, fit_both, skipped_monitors

L = keras.layers
WINDOW = 16
TRAIN_STEPS = 2400


def _series(seed, steps=3000):
    """A noisy sine, and as target of the window ending at step t the clean value at t + 1."""
    time = np.arange(steps + WINDOW, dtype="float32")
    noisy = np.sin(time / 10) + 0.1 * np.random.default_rng(seed).normal(size=time.shape)
    return noisy.astype("float32")[:, None], np.sin((time + 1) / 10).astype("float32")


def _windows(series, targets, start, stop, seed):
    return keras.utils.timeseries_dataset_from_array(series[start:stop], targets[start + WINDOW - 1:stop],
                                                     sequence_length=WINDOW, batch_size=32, shuffle=True, seed=seed)


def _build():
    inputs = keras.Input((WINDOW, 1))
    hidden = L.Dense(16, activation="relu", name="hidden")(L.Flatten()(inputs))
    model = keras.Model(inputs, L.Dense(1, name="forecast")(hidden))
    model.compile(keras.optimizers.Adam(0.01), "mse")
    return model


@pytest.mark.parametrize("seed", SEEDS)
def test_timeseries_dataset_from_array(seed, tmp_path):
    series, targets = _series(seed)
    models = []

    def fit(model, callbacks, epochs=3):
        models.append(model)
        return model.fit(_windows(series, targets, 0, TRAIN_STEPS, seed),
                         validation_data=_windows(series, targets, TRAIN_STEPS, len(series), seed), epochs=epochs,
                         verbose=0, callbacks=callbacks)

    diagnostics, _, (history,) = fit_both(_build, fit, seed)
    assert_learned(history, chance_loss=float(np.var(targets)), fraction=0.1)
    assert [str(finding) for finding in diagnostics.findings] == []
    # Class counts do not apply to a forecast; the activations and the data are judged.
    assert skipped_monitors(diagnostics) == {"ImbalanceMonitor"}
    assert_unjudged_is_skipped(diagnostics, not_applicable={"ImbalanceMonitor"})
    assert not np.isnan(diagnostics.history["dead_frac/hidden"]).any()
    assert_saves_loads_and_fits_again(models[-1], series[None, :WINDOW],
                                      lambda model, callbacks: fit(model, callbacks, epochs=1), tmp_path)


@pytest.mark.parametrize("seed", SEEDS)
def test_windows_longer_than_the_model_declares_are_said_plainly(seed):
    # An LSTM takes windows of any length, so Keras trains on 20-step windows a model built on
    # Input((16, 1)) declares; the probe keeps rows of the declared shape only, so the units and
    # the data are not judged, and the monitors say why in those terms.
    series, targets = _series(seed)
    long = WINDOW + 4

    def windows(start, stop):
        return keras.utils.timeseries_dataset_from_array(series[start:stop], targets[start + long - 1:stop],
                                                         sequence_length=long, batch_size=32)

    def build():
        inputs = keras.Input((WINDOW, 1))
        model = keras.Model(inputs, L.Dense(1, name="forecast")(L.LSTM(8, name="lstm")(inputs)))
        model.compile(keras.optimizers.Adam(0.01), "mse")
        return model

    def fit(model, callbacks):
        return model.fit(windows(0, 1200), validation_data=windows(1200, 1600), epochs=2, verbose=0,
                         callbacks=callbacks)

    shapes = "the model declares inputs of shape (16, 1), but the training batches had shape (20, 1)"
    diagnostics, _, _ = fit_both(build, fit, seed, not_judged=[
        f"ActivationMonitor: dead and saturated units are not judged: no probe rows were kept from training: {shapes}",
        shapes])
    notes = {note.monitor: note.reason for note in diagnostics.skipped}
    assert shapes in notes["ActivationMonitor"] and "pass `probe_data` of the declared shape" in notes["ActivationMonitor"]
    assert notes["SetupMonitor"] == f"the data: {shapes}"
    assert_unjudged_is_skipped(diagnostics)
