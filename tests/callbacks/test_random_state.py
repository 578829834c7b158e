"""Monitors leave the training's random streams alone. In Keras 3 an `LSTM` with `dropout`
advances its cell's `SeedGenerator` even on an inference call, so a monitor that runs the model on
probe rows between epochs changed the dropout masks of every later step (and the user's losses)."""

import numpy as np
import pytest

import keras
from callbacks import ActivationMonitor, GradientMonitor, StallMonitor, TrainingDiagnostics
from callbacks._random_state import random_state_kept, seed_states
from callbacks.imbalance_monitor import ImbalanceMonitor

L = keras.layers


def _data(rows=256):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(rows, 8, 4)).astype("float32")
    return x, (x[:, -1, 0] > 0).astype("int32")


def _lstm_with_dropout():
    inputs = keras.Input((8, 4))
    hidden = L.Dropout(0.3)(L.LSTM(8, dropout=0.3, name="lstm")(inputs))
    model = keras.Model(inputs, L.Dense(2, activation="softmax")(hidden))
    model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy")
    return model


def test_an_inference_call_of_an_lstm_with_dropout_draws_and_is_undone():
    keras.utils.set_random_seed(0)
    model = _lstm_with_dropout()
    x, _ = _data(16)
    states = seed_states(model)
    assert len(states) == 2  # the LSTM cell's and the Dropout layer's
    initial = [state.numpy().copy() for state in states]
    model(x, training=False)
    entering = [state.numpy().copy() for state in states]
    assert not np.array_equal(np.stack(entering), np.stack(initial))  # Keras draws, though in inference
    with random_state_kept(model):
        model(x, training=False)
        assert not np.array_equal(np.stack([state.numpy() for state in states]), np.stack(entering))
    np.testing.assert_array_equal(np.stack([state.numpy() for state in states]), np.stack(entering))


@pytest.mark.parametrize("monitor", [
    lambda x, y: ActivationMonitor(),
    lambda x, y: GradientMonitor(),
    lambda x, y: ImbalanceMonitor(validation_data=(x[192:], y[192:])),
], ids=["activations", "gradient_through_time", "validation_recall"])
def test_a_monitor_alone_keeps_the_dropout_masks(monitor):
    x, y = _data()
    losses = []
    for callbacks in ([], [monitor(x, y)]):
        keras.utils.set_random_seed(0)
        history = _lstm_with_dropout().fit(x[:192], y[:192], batch_size=32, epochs=3, verbose=0, callbacks=callbacks)
        losses.append(history.history["loss"])
    np.testing.assert_array_equal(losses[1], losses[0])


def test_training_diagnostics_keeps_the_masks_whatever_its_monitors_run():
    # StallMonitor probes the loss surface at a stall; TrainingDiagnostics keeps the random streams
    # around every hook it forwards, whatever a monitor does in it.
    x, y = _data()
    losses = []
    for callbacks in ([], [TrainingDiagnostics(monitors=[StallMonitor], verbose=0)]):
        keras.utils.set_random_seed(0)
        history = _lstm_with_dropout().fit(x[:192], y[:192], batch_size=32, epochs=3, verbose=0, callbacks=callbacks)
        losses.append(history.history["loss"])
    np.testing.assert_array_equal(losses[1], losses[0])
