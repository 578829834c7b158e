"""A ReLU CNN whose every kernel is drawn from N(0, 1): each layer amplifies the signal (and its
gradient on the way back) tenfold or more, so the loss stays far above guessing from the first
step. `exploding_gradient` leads with a variance-preserving initializer; He's twin is healthy."""

import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits

from tests.diagnostics._diagnosed_fit import diagnosed_fit

L = keras.layers


def _cnn(initializer):
    convs = [L.Conv2D(16, 3, padding="same", activation="relu", kernel_initializer=initializer(), name=f"conv_{i}")
             for i in range(3)]
    return keras.Sequential([keras.Input((8, 8, 1)), *convs, L.Flatten(),
                             L.Dense(10, activation="softmax", kernel_initializer=initializer(), name="out")])


def _images():
    x, y = load_digits(return_X_y=True)
    return ((x - x.mean()) / x.std()).reshape(-1, 8, 8, 1).astype("float32"), y


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_weights_drawn_at_unit_scale_blow_the_signal_up_and_he_normal_does_not(seed):
    x, y = _images()
    history, findings = diagnosed_fit(lambda: _cnn(lambda: keras.initializers.RandomNormal(stddev=1.0)), x, y,
                                      seed=seed, epochs=5)
    assert min(history["loss"]) > 10 * np.log(10)  # it happened: far above guessing at every epoch
    lead = findings[0]
    assert (lead.kind, lead.epoch) == ("exploding_gradient", 0)
    assert lead.remedies[0].action == "set_initializer"
    assert lead.remedies[0].params["kernel_initializer"] == "he_normal"
    history, findings = diagnosed_fit(lambda: _cnn(lambda: "he_normal"), x, y, seed=seed, epochs=5)
    assert history["val_loss"][-1] < np.log(10) / 4 and findings == []
