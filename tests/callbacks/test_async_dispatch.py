"""The monitors let Keras dispatch batch-end hooks asynchronously, which keeps `fit` fast."""

import numpy as np

import keras
from callbacks import GradientMonitor, OscillationMonitor, StallMonitor, TrainingDiagnostics


def test_default_training_diagnostics_is_async_safe():
    assert TrainingDiagnostics().async_safe


def test_monitors_that_must_act_at_once_are_not_async_safe():
    assert not GradientMonitor(stop_on_nonfinite=True).async_safe
    assert not StallMonitor(every_steps=4).async_safe
    assert not TrainingDiagnostics(monitors=[GradientMonitor(stop_on_nonfinite=True)]).async_safe

    class BatchPrinter(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            print(batch)

    assert not TrainingDiagnostics(monitors=[BatchPrinter()]).async_safe


def _block_losses(order, losses, block_steps=4):
    monitor = OscillationMonitor(block_steps=block_steps)
    monitor.set_params({"steps": len(losses), "epochs": 1})
    monitor.on_train_begin()
    monitor.on_epoch_begin(0)
    running = np.cumsum(losses) / np.arange(1, len(losses) + 1)
    for batch in order:
        monitor.on_train_batch_end(batch, {"loss": running[batch]})
    monitor.on_epoch_end(0, {"loss": running[-1]})
    return monitor.block_losses


def test_oscillation_blocks_do_not_depend_on_the_order_the_hooks_ran_in():
    losses = np.random.default_rng(0).uniform(0.5, 2.0, size=17)
    in_order = _block_losses(range(17), losses)
    shuffled = _block_losses(np.random.default_rng(1).permutation(17), losses)
    np.testing.assert_allclose(in_order, shuffled)
    # Exact block means of steps 1-4, 5-8, 9-12 and 13-16 (the partial last block is left out).
    np.testing.assert_allclose(in_order, losses[:16].reshape(4, 4).mean(axis=1))
