"""A healthy, fast descent whose blocks of a few batches swing on the way down is no oscillation:
a subclassed ReLU stack (He init, plain SGD, batches of 16) on the digits, at three seeds where
the swings were judged an oscillation before 9bc8f0d (seeds 5 and 6)."""

import warnings

import numpy as np
import pytest
from sklearn.datasets import load_digits

import keras
from callbacks import TrainingDiagnostics
from callbacks._guard import NotJudgedWarning


class ReluStack(keras.Model):
    def __init__(self, depth=8, width=64):
        super().__init__()
        self.hidden = [keras.layers.Dense(width, activation="relu", kernel_initializer="he_normal")
                       for _ in range(depth)]
        self.out = keras.layers.Dense(10, activation="softmax")

    def call(self, x):
        for layer in self.hidden:
            x = layer(x)
        return self.out(x)


@pytest.mark.parametrize("seed", [5, 6, 7])
def test_a_deep_relu_stack_that_learns_fast_gets_no_finding(seed):
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype("float32")
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order], y[order]
    keras.utils.set_random_seed(seed)
    model = ReluStack()
    model.compile(keras.optimizers.SGD(0.03), "sparse_categorical_crossentropy")
    diagnostics = TrainingDiagnostics(verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotJudgedWarning)  # a subclassed model: no graph for some checks
        model.fit(x[:1400], y[:1400], validation_data=(x[1400:], y[1400:]), epochs=10, batch_size=16,
                  verbose=0, callbacks=[diagnostics])
    loss = diagnostics.history["loss"]
    assert loss[-1] < 0.1 * loss[0]  # it is healthy: the loss fell tenfold
    # Ten epochs on 1,400 rows may end in a mild overfit (TF 2.18 without oneDNN, seed 5); the
    # descent must show nothing else, above all no oscillation.
    assert {f.kind for f in diagnostics.findings} <= {"overfitting"}
