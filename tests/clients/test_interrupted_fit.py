"""A `fit` that an exception interrupts (another callback raises, as Ctrl-C would), then a complete
`fit` of the same model with a new `TrainingDiagnostics`: the second run is judged on its own
data only (no stale probe rows, no finding), and afterwards the model is as it was built."""

import math

import pytest

import keras
from callbacks import TrainingDiagnostics
from tests.clients._client import (DIGIT_CLASSES, SEEDS, assert_healthy, assert_learned, digits, digits_classifier,
                                   fit_both)


class Interrupt(keras.callbacks.Callback):
    """Raises at the start of epoch 1, as a user's Ctrl-C would."""

    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 1:
            raise KeyboardInterrupt


@pytest.mark.parametrize("seed", SEEDS)
def test_refit_after_an_interrupted_fit(seed):
    x, y = digits()
    models = []

    def fit(model, callbacks):
        models.append(model)
        with pytest.raises(KeyboardInterrupt):
            interrupted = [TrainingDiagnostics(verbose=0)] if callbacks else []
            model.fit(x[:1400], y[:1400], batch_size=32, epochs=3, verbose=0, callbacks=interrupted + [Interrupt()])
        return model.fit(x[:1400], y[:1400], validation_data=(x[1400:], y[1400:]), batch_size=32, epochs=3,
                         verbose=0, callbacks=callbacks)

    diagnostics, _, (history,) = fit_both(lambda: digits_classifier(keras.optimizers.Adam(0.003)), fit, seed)
    assert_learned(history, math.log(DIGIT_CLASSES))
    assert_healthy(diagnostics)
    plain, observed = models
    for name in ("train_step", "test_step", "compute_loss"):
        assert name not in vars(observed), name
    assert "apply" not in vars(observed.optimizer)
    assert "apply" not in vars(plain.optimizer)



