"""Stalls on digits under `TrainingDiagnostics()` defaults: saddles and plateaus from a tiny
initialisation, which sit at chance from the first epoch, and a healthy run that stays quiet.

The outcomes hold at 3 seeds, with and without oneDNN: they rest on the loss at chance and on
Hessian spectra an order of magnitude away from the thresholds.
"""

import keras
import pytest
from sklearn.datasets import load_digits

from callbacks.stall_monitor import StallMonitor
from callbacks.training_diagnostics import TrainingDiagnostics

SEEDS = [0, 1, 2]
SAMPLES, BATCH, EPOCHS = 512, 32, 6  # 96 optimizer steps


@pytest.fixture(scope="module")
def digits():
    data = load_digits()
    return (data.data[:SAMPLES] / 16.0).astype("float32"), data.target[:SAMPLES]


def _tiny(stddev):
    return keras.initializers.RandomNormal(stddev=stddev)


def _dense_stack(layers, stddev):
    hidden = [keras.layers.Dense(32, activation="tanh", kernel_initializer=_tiny(stddev)) for _ in range(layers)]
    head = keras.layers.Dense(10, activation="softmax", kernel_initializer=_tiny(stddev))
    return keras.Sequential([keras.Input((64,)), *hidden, head])


@pytest.fixture
def fit(digits):
    """`fit(model, learning_rate, image=False, jit_compile=False)`: plain SGD under
    `TrainingDiagnostics()`; returns the kinds found and the `StallMonitor`."""
    def run(model, learning_rate, image=False, jit_compile=False):
        x, y = digits
        model.compile(keras.optimizers.SGD(learning_rate), "sparse_categorical_crossentropy",
                      jit_compile=jit_compile)
        diagnostics = TrainingDiagnostics(verbose=0)
        model.fit(x.reshape(-1, 8, 8, 1) if image else x, y, batch_size=BATCH, epochs=EPOCHS, verbose=0,
                  callbacks=[diagnostics])
        stall_monitor = next(m for m in diagnostics.monitors if isinstance(m, StallMonitor))
        stall_monitor.judged = diagnostics.findings  # the judge's verdict on every monitor's record
        return [f.kind for f in diagnostics.findings], stall_monitor
    return run


@pytest.mark.parametrize("jit_compile", [False, True])
@pytest.mark.parametrize("seed", SEEDS)
def test_a_saddle_at_the_start_is_found_though_the_loss_never_left_chance(fit, seed, jit_compile):
    keras.utils.set_random_seed(seed)
    kinds, monitor = fit(_dense_stack(1, 1e-4), 0.1, jit_compile=jit_compile)
    assert "saddle_point" in kinds and "plateau" not in kinds
    [probe] = monitor.probes
    assert probe["epoch"] == 3 and probe["weights"] == "initial"
    assert probe["min_eigenvalue"] < -0.5 * probe["max_eigenvalue"] < 0


@pytest.mark.parametrize("seed", SEEDS)
def test_a_plateau_is_found_beside_the_vanishing_gradients_that_are_its_other_side(fit, seed):
    keras.utils.set_random_seed(seed)
    kinds, monitor = fit(_dense_stack(4, 1e-3), 0.05)
    # The kernels drawn at 1e-3 are the cause the setup names; the plateau and the vanishing
    # gradients are its two sides.
    assert sorted(set(kinds) - {"underfitting"}) == ["plateau", "suspicious_config", "vanishing_gradient"]
    [plateau] = [f for f in monitor.judged if f.kind == "plateau"]
    assert "vanishing gradient" in plateau.message and plateau.evidence["escape_exponent"] < 2.0
    [cause] = [f for f in monitor.judged if f.kind == "suspicious_config"]
    assert "small_kernel_scale" in cause.evidence and plateau.explained_by == "suspicious_config"


@pytest.mark.parametrize("seed", SEEDS)
def test_a_saddle_at_the_start_is_found_though_the_relu_units_die_in_it(fit, seed):
    keras.utils.set_random_seed(seed)
    convs = [keras.layers.Conv2D(8, 3, padding="same", activation="relu", kernel_initializer=_tiny(1e-3))
             for _ in range(4)]
    model = keras.Sequential([keras.Input((8, 8, 1)), *convs, keras.layers.Flatten(),
                              keras.layers.Dense(10, activation="softmax", kernel_initializer=_tiny(1e-3))])
    kinds, monitor = fit(model, 0.1, image=True)
    assert "saddle_point" in kinds and "plateau" not in kinds
    assert monitor.probes[0]["weights"] == "initial"


@pytest.mark.parametrize("seed", SEEDS)
def test_a_healthy_run_has_no_stall(fit, seed):
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    kinds, monitor = fit(model, 0.1)
    assert kinds == [] and monitor.probes == [] and monitor.findings == []
