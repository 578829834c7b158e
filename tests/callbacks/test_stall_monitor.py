"""StallMonitor on injected faults: a strict saddle, a converged run, a stalled run without a probe batch."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from sklearn.datasets import load_digits

from callbacks.stall_monitor import StallMonitor


class _SaddleLayer(keras.layers.Layer):
    """Outputs f(a, b) = a^2 - b^2 for every sample; (a, b) are its only weights."""

    def __init__(self, start=(1.0, 0.0), **kwargs):
        super().__init__(**kwargs)
        self.start = tuple(start)

    def build(self, input_shape):
        self.w = self.add_weight(shape=(2,), initializer=keras.initializers.Constant(self.start), name="w")

    def call(self, inputs):
        return keras.ops.zeros_like(inputs[:, :1]) + (self.w[0] ** 2 - self.w[1] ** 2)


def _saddle_fit(escape=None, epochs=18):
    """Gradient descent on a^2 - b^2 from (1, 0): b never moves, a -> 0, so it runs into the saddle."""
    model = keras.Sequential([keras.Input((1,)), _SaddleLayer()])
    model.compile(keras.optimizers.SGD(0.05), loss=lambda y_true, y_pred: keras.ops.mean(y_pred))
    x = np.zeros((64, 1), "float32")
    monitor = StallMonitor(probe_data=(x, x), escape=escape)
    history = model.fit(x, x, batch_size=16, epochs=epochs, verbose=0, callbacks=[monitor])
    return model, monitor, history.history


def test_strict_saddle_is_found_with_its_eigenvalues():
    _, monitor, history = _saddle_fit()
    assert [f.kind for f in monitor.findings] == ["saddle_point"]
    finding = monitor.findings[0]
    assert finding.evidence["min_eigenvalue"] == pytest.approx(-2.0, rel=1e-3)
    assert finding.evidence["max_eigenvalue"] == pytest.approx(2.0, rel=1e-3)
    assert finding.evidence["hvps"] <= 20
    assert len(monitor.probes) == 1 and monitor.probes[0]["kind"] == "saddle_point"
    # The stall begins after the loss stopped moving and the gradient norm had fallen.
    loss = np.asarray(history["loss"])
    assert loss[finding.epoch - 3] - loss[finding.epoch] < 0.01 * loss[0]
    assert history["global_grad_norm"][finding.epoch] < 0.5 * history["global_grad_norm"][0]


def test_stall_is_caught_within_an_epoch_with_every_steps():
    model = keras.Sequential([keras.Input((1,)), _SaddleLayer()])
    model.compile(keras.optimizers.SGD(0.05), loss=lambda y_true, y_pred: keras.ops.mean(y_pred))
    x = np.zeros((64, 1), "float32")
    monitor = StallMonitor(probe_data=(x, x), every_steps=4, window=6)
    per_epoch = StallMonitor(probe_data=(x, x))
    model.fit(x, x, batch_size=4, epochs=4, verbose=0, callbacks=[monitor, per_epoch])  # 16 steps/epoch
    assert len(monitor.step_history["loss"]) == 16
    assert [f.kind for f in monitor.findings] == ["saddle_point"]
    assert monitor.findings[0].epoch == monitor.probes[0]["epoch"] <= 3
    assert per_epoch.findings == []  # four epochs are too few for a window of three epochs
    assert monitor.findings[0].evidence["min_eigenvalue"] == pytest.approx(-2.0, rel=1e-3)


def symmetric_start(rows, seed=0, jit_compile=False):
    """`(x, y, model)`: linear targets with an offset, and a tanh net with all-zero weights
    compiled with SGD and MSE."""
    x = np.random.default_rng(seed).standard_normal((rows, 4)).astype("float32")
    y = (x @ np.array([1.0, -2.0, 0.5, 1.5], "float32") + 3.0)[:, None]
    model = keras.Sequential([
        keras.Input((4,)),
        keras.layers.Dense(8, activation="tanh", kernel_initializer="zeros"),
        keras.layers.Dense(1, kernel_initializer="zeros"),
    ])
    model.compile(keras.optimizers.SGD(0.05), "mse", jit_compile=jit_compile)
    return x, y, model


def test_small_net_started_at_the_symmetric_point_is_at_a_saddle():
    """All-zero weights: hidden units are identical and silent, only the output bias learns; the
    loss stalls at the variance of the targets, where the Hessian couples the two layers with
    eigenvalues of both signs."""
    x, y, model = symmetric_start(128)
    monitor = StallMonitor(probe_data=(x, y))
    model.fit(x, y, batch_size=32, epochs=10, verbose=0, callbacks=[monitor])
    assert [f.kind for f in monitor.findings] == ["saddle_point"]
    evidence = monitor.findings[0].evidence
    assert evidence["min_eigenvalue"] < -0.1 * evidence["max_eigenvalue"]
    assert evidence["loss"] > 0.5 * float(np.var(y))  # stuck at predicting the mean


@pytest.mark.slow
def test_perturb_escape_leaves_the_saddle():
    model, monitor, history = _saddle_fit(escape="perturb", epochs=20)
    assert monitor.probes[0]["action"] == "perturb"
    a, b = model.layers[0].w.numpy()
    assert abs(b) > 1e-3  # moved along the negative-curvature direction, and descent took it further
    assert history["loss"][-1] < history["loss"][monitor.probes[0]["epoch"]] - 1e-3


@pytest.mark.slow
def test_lr_escape_raises_the_learning_rate():
    model, monitor, _ = _saddle_fit(escape="lr")
    assert monitor.probes[0]["action"] == "lr"
    assert float(model.optimizer.learning_rate.numpy()) == pytest.approx(0.1)


@pytest.fixture(scope="module")
def digits():
    data = load_digits()
    return (data.data / 16.0).astype("float32"), data.target


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_converged_run_is_quiet_and_not_probed(digits, seed):
    """A classifier that converged far below its chance loss stalls (its loss stops falling), but
    no curvature could make that a saddle or a plateau: the probe is not spent on it."""
    keras.utils.set_random_seed(seed)
    x, y = digits[0][:300], digits[1][:300]
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(keras.optimizers.Adam(1e-2), "sparse_categorical_crossentropy")
    monitor = StallMonitor(probe_data=(x, y))
    history = model.fit(x, y, batch_size=32, epochs=20, verbose=0, callbacks=[monitor])
    assert monitor._stalls, "the run should converge and so stall"
    assert history.history["loss"][monitor._stalls[0]["at"]] < 0.1 * np.log(10)
    assert monitor.probes == [] and monitor.findings == []


def test_without_any_probe_batch_a_stall_at_high_loss_is_reported_without_curvature():
    # String inputs: no probe batch can be kept from training, and none is given.
    inputs = keras.Input((1,), dtype="string")
    lookup = keras.layers.Flatten()(keras.layers.StringLookup(vocabulary=["a"], output_mode="one_hot")(inputs))
    model = keras.Model(inputs, keras.layers.Dense(1, kernel_initializer="zeros")(lookup))
    model.compile(keras.optimizers.SGD(1e-4), "mse")
    # Only the weights of the one token and the bias learn, far too slowly: the loss stays near 1.
    data = tf.data.Dataset.from_tensor_slices((tf.constant([["a"]] * 32), tf.ones((32, 1)))).batch(32)
    monitor = StallMonitor()
    with pytest.warns(UserWarning, match="not numeric"):
        model.fit(data, epochs=5, verbose=0, callbacks=[monitor])
    assert monitor.probes == [] and all(np.isnan(monitor.history["global_grad_norm"]))
    assert [f.kind for f in monitor.findings] == ["plateau"]
    assert "probe_data" in monitor.findings[0].message
    assert "min_eigenvalue" not in monitor.findings[0].evidence


@pytest.mark.parametrize("kwargs,match", [
    ({"escape": "jump"}, "escape"), ({"window": 0}, "window"), ({"max_iter": 1.5}, "max_iter"),
    ({"lr_factor": -1.0}, "lr_factor"), ({"probe_data": [1, 2, 3, 4]}, "probe_data"),
    ({"every_steps": 0}, "every_steps"),
])
def test_bad_arguments_are_refused(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        StallMonitor(**kwargs)
