"""Instrumentation left on a model by a `fit` that ended in an exception.

Keras calls `on_train_end` only when `fit` returns: a `fit` stopped by Ctrl-C or by another
callback's exception leaves the shared `BatchProbe` and `GradientTelemetry` attached (the model's
`train_step`, `test_step`, `compute_loss` and its optimizer's `apply` still wrapped, the probe
still holding that run's rows). Keras calls every callback's `set_model` when a `fit` starts,
before any `on_train_begin`: a monitor that calls `release_left_over(model)` there gives the new
`fit` a clean model, whatever interrupted the last one. (`attach` catches most of these cases on
its own: see `BatchProbe.attach`.)

Example:

>>> class MyMonitor(keras.callbacks.Callback):        # doctest: +SKIP
...     def set_model(self, model):
...         super().set_model(model)
...         release_left_over(model)
"""

from callbacks import _batch_probe, _telemetry


def release_left_over(model):
    """Releases the batch probe and the gradient telemetry of `model` if they are still attached.

    Args:
        model: the model a new `fit` is about to train.
    """
    _batch_probe.release_left_over(model)
    _telemetry.release_left_over(model)
