"""Keras' own callbacks in the same `fit`: `EarlyStopping(restore_best_weights=True)`,
`ModelCheckpoint` and `TerminateOnNaN`."""


import numpy as np
import pytest

import keras
from tests.clients._client import SEEDS, assert_digits_fit_is_healthy, digits


@pytest.mark.parametrize("seed", SEEDS)
def test_early_stopping_checkpoint_and_terminate_on_nan(seed, tmp_path):
    x, y = digits()
    runs = iter(["plain", "observed"])

    def fit(model, callbacks):
        path = tmp_path / f"{next(runs)}.keras"
        keras_callbacks = [keras.callbacks.EarlyStopping(monitor="val_loss", patience=1, restore_best_weights=True),
                           keras.callbacks.ModelCheckpoint(path, monitor="val_loss", save_best_only=True),
                           keras.callbacks.TerminateOnNaN()]
        return model.fit(x[:1400], y[:1400], validation_data=(x[1400:], y[1400:]), batch_size=32, epochs=4,
                         verbose=0, callbacks=keras_callbacks + callbacks)

    assert_digits_fit_is_healthy(fit, seed)
    # The checkpoints hold the same weights, and load as plain models.
    plain, observed = (keras.saving.load_model(tmp_path / f"{run}.keras") for run in ("plain", "observed"))
    np.testing.assert_array_equal(observed.predict(x[:64], verbose=0), plain.predict(x[:64], verbose=0))
