"""Injected faults give exactly the expected findings; healthy runs give none.

Each test trains a tiny network on the digits dataset (offline, scikit-learn) with one classic
fault and checks the kinds of the findings, where they are localized and when they start.
"""

import numpy as np
import pytest
from sklearn.datasets import load_digits

import keras
from callbacks import ActivationMonitor, GradientMonitor, TrainingDiagnostics
from callbacks._guard import NotJudgedWarning

L = keras.layers


# Every detector outcome on a training run must hold at several seeds.
SEEDS = [0, 1, 2]
# For the longer runs, the seeds after the first run in the slow tier (CI runs it too).
SEEDS_SLOW_AFTER_FIRST = [0] + [pytest.param(seed, marks=pytest.mark.slow) for seed in SEEDS[1:]]


@pytest.fixture(scope="module")
def digits():
    x, y = load_digits(return_X_y=True)
    return (x[:640] / 16.0).astype("float32"), y[:640]


def _mlp(depth, activation, kernel_initializer="glorot_uniform", bias=0.0, batch_norm=False, width=32):
    layers = [keras.Input((64,))]
    for index in range(depth):
        layers.append(
            L.Dense(
                width,
                activation=None if batch_norm else activation,
                kernel_initializer=kernel_initializer,
                bias_initializer=keras.initializers.Constant(bias),
                name=f"hidden_{index}",
            )
        )
        if batch_norm:
            layers += [L.BatchNormalization(name=f"bn_{index}"), L.Activation(activation, name=f"act_{index}")]
    layers.append(L.Dense(10, kernel_initializer=kernel_initializer, name="output"))
    return keras.Sequential(layers)


def _train(model, x, y, optimizer, epochs=4):
    model.compile(optimizer, keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    diagnostics = TrainingDiagnostics(verbose=0)
    model.fit(x, y, batch_size=32, epochs=epochs, verbose=0, callbacks=[diagnostics])
    return diagnostics


def _kinds(diagnostics):
    return sorted({finding.kind for finding in diagnostics.findings})


def _position(layer, depth):
    return int(layer.split("_")[-1]) if layer.startswith("hidden_") else depth


@pytest.mark.parametrize("seed", SEEDS)
def test_deep_sigmoid_mlp_gives_vanishing_gradient_at_early_layers(digits, seed):
    keras.utils.set_random_seed(seed)
    depth = 15
    diagnostics = _train(_mlp(depth, "sigmoid"), *digits, keras.optimizers.SGD(0.1))
    # With Glorot init the sigmoid units sit around 0.5: small derivatives, but not saturated.
    assert _kinds(diagnostics) == ["vanishing_gradient"]
    vanishing = diagnostics.findings[0]
    assert vanishing.layer == "hidden_0" and vanishing.epoch == 0
    assert vanishing.evidence["ratio"] < 1e-6
    assert vanishing.evidence["layers_affected"] >= depth // 2
    assert any("ReLU" in advice for advice in vanishing.advice)


@pytest.mark.parametrize("seed", SEEDS_SLOW_AFTER_FIRST)
def test_deep_sigmoid_mlp_with_large_weights_gives_saturation_at_early_layers(digits, seed):
    keras.utils.set_random_seed(seed)
    depth = 15
    model = _mlp(depth, "sigmoid", keras.initializers.RandomNormal(stddev=4.0))
    diagnostics = _train(model, *digits, keras.optimizers.SGD(0.1))
    kinds = _kinds(diagnostics)
    assert "saturation" in kinds and set(kinds) <= {"saturation", "vanishing_gradient"}
    saturation = next(f for f in diagnostics.findings if f.kind == "saturation")
    assert _position(saturation.layer, depth) < depth // 2
    # While learning suffers, a third of a layer saturated is enough (SATURATED_FRACTION_SLOW).
    assert saturation.evidence["saturated_frac"] >= 0.3


@pytest.mark.parametrize("seed", SEEDS)
def test_large_init_and_high_learning_rate_give_exploding_gradient(digits, seed):
    keras.utils.set_random_seed(seed)
    model = _mlp(8, "relu", keras.initializers.RandomNormal(stddev=0.5))
    diagnostics = _train(model, *digits, keras.optimizers.SGD(0.05), epochs=2)
    kinds = _kinds(diagnostics)
    assert "exploding_gradient" in kinds
    # The blow-up ends in NaN, and at some seeds leaves every ReLU of the first layer dead (its
    # weights are huge after it); nothing else may be reported, and nothing before the blow-up.
    assert set(kinds) <= {"exploding_gradient", "non_finite", "dead_relu"}
    exploding = next(f for f in diagnostics.findings if f.kind == "exploding_gradient")
    assert exploding.epoch == min(f.epoch for f in diagnostics.findings)
    assert exploding.evidence["factor"] >= 100
    assert any("clip" in advice.lower() for advice in exploding.advice)


@pytest.mark.parametrize("seed", SEEDS)
def test_init_so_large_that_the_first_step_blows_up_gives_exploding_gradient(digits, seed):
    # Stddev 1 in 64-unit ReLU layers: activations grow ~5.7x per layer, the first gradient is
    # already ~1e6 and the second step is NaN, so there is no earlier gradient to grow from.
    keras.utils.set_random_seed(seed)
    model = _mlp(8, "relu", keras.initializers.RandomNormal(stddev=1.0), width=64)
    diagnostics = _train(model, *digits, keras.optimizers.SGD(0.01), epochs=2)
    kinds = _kinds(diagnostics)
    assert "exploding_gradient" in kinds and set(kinds) <= {"exploding_gradient", "non_finite", "dead_relu"}
    exploding = next(f for f in diagnostics.findings if f.kind == "exploding_gradient")
    assert exploding.epoch == 0 and exploding.evidence["factor"] >= 1.0


@pytest.mark.parametrize("seed", SEEDS_SLOW_AFTER_FIRST)
def test_strongly_negative_bias_gives_dead_relu(digits, seed):
    keras.utils.set_random_seed(seed)
    model = _mlp(4, "relu", "he_normal", bias=-5.0)
    diagnostics = _train(model, *digits, keras.optimizers.Adam(1e-3), epochs=3)
    assert _kinds(diagnostics) == ["dead_relu"]
    dead = diagnostics.findings[0]
    assert dead.layer == "hidden_0" and dead.epoch == 0
    assert dead.evidence["dead_frac"] == 1.0


@pytest.mark.parametrize("seed", SEEDS)
def test_injected_nan_gives_non_finite_and_can_stop_training(digits, seed):
    keras.utils.set_random_seed(seed)
    x, y = digits
    x = x.copy()
    x[100, 5] = np.nan
    model = _mlp(3, "relu", "he_normal")
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    monitor = GradientMonitor(stop_on_nonfinite=True, every=1)
    history = model.fit(x, y, batch_size=32, epochs=3, verbose=0, shuffle=False, callbacks=[monitor])
    assert [f.kind for f in monitor.findings] == ["non_finite"]
    finding = monitor.findings[0]
    assert finding.epoch == 0
    # Whether ReLU passes the NaN on (and so which other layers and the loss go non-finite)
    # depends on the CPU's kernels; the first layer's gradient (inputs x delta) always does.
    assert finding.layer == "hidden_0"
    assert "data" in finding.message
    assert monitor.first_nonfinite_step["hidden_0"] == 3  # the batch holding sample 100
    assert min(monitor.first_nonfinite_step.values()) == 3
    assert len(history.history["loss"]) == 1 and monitor.stopped_at["epoch"] == 0


@pytest.mark.parametrize("seed", SEEDS)
def test_relu_output_that_never_fires_gives_zero_gradient_and_no_oscillation(digits, seed):
    # A ReLU on the regression output, started far below zero: it outputs 0 for every sample,
    # so every gradient is exactly zero; the loss only varies with each batch's targets.
    keras.utils.set_random_seed(seed)
    x, y = digits
    model = keras.Sequential([
        keras.Input((64,)), L.Dense(32, activation="relu", name="hidden_0"),
        L.Dense(1, activation="relu", bias_initializer=keras.initializers.Constant(-100.0), name="output"),
    ])
    model.compile(keras.optimizers.SGD(0.01), "mse")
    diagnostics = TrainingDiagnostics(verbose=0)
    with pytest.warns(NotJudgedWarning) as said:  # a regression without validation data
        model.fit(x, y.astype("float32"), batch_size=16, epochs=4, verbose=0, callbacks=[diagnostics])
    said = " ".join(str(warning.message) for warning in said if warning.category is NotJudgedWarning)
    # Class counts do not apply to a regression: noted, not warned.
    assert "no class counts" not in said and "no validation data" in said
    assert _kinds(diagnostics) == ["zero_gradient"]
    finding = diagnostics.findings[0]
    assert finding.epoch == 0 and finding.evidence["layers_total"] == 2


@pytest.mark.parametrize("seed", SEEDS_SLOW_AFTER_FIRST)
def test_healthy_relu_he_batchnorm_mlp_gives_no_findings(digits, seed):
    keras.utils.set_random_seed(seed)
    model = _mlp(6, "relu", "he_normal", batch_norm=True)
    diagnostics = _train(model, *digits, keras.optimizers.Adam(1e-3), epochs=3)
    assert diagnostics.findings == []


@pytest.mark.slow
@pytest.mark.parametrize("seed", SEEDS)
def test_healthy_small_cnn_gives_no_findings(digits, seed):
    keras.utils.set_random_seed(seed)
    x, y = digits
    model = keras.Sequential([
        keras.Input((8, 8, 1)),
        L.Conv2D(16, 3, padding="same", activation="relu"),
        L.Conv2D(16, 3, padding="same", activation="relu"),
        L.MaxPooling2D(),
        L.Conv2D(32, 3, padding="same", activation="relu"),
        L.GlobalAveragePooling2D(),
        L.Dense(10),
    ])
    diagnostics = _train(model, x.reshape(-1, 8, 8, 1), y, keras.optimizers.Adam(1e-3))
    assert diagnostics.findings == []
    assert any(key.startswith("dead_frac/conv2d") for key in diagnostics.history)


@pytest.mark.parametrize("seed", SEEDS_SLOW_AFTER_FIRST)
def test_findings_of_the_monitors_are_combined_without_duplicates(digits, seed):
    keras.utils.set_random_seed(seed)
    x, y = digits
    model = _mlp(4, "relu", "he_normal", bias=-5.0)
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    diagnostics = TrainingDiagnostics(monitors=[GradientMonitor, ActivationMonitor, ActivationMonitor()], verbose=0)
    model.fit(x, y, epochs=2, verbose=0, callbacks=[diagnostics])
    assert [f.kind for f in diagnostics.findings] == ["dead_relu"]


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("stddev,saturates", [(4.0, True), (None, False)])
def test_sigmoid_mlp_initialised_with_stddev_4_saturates_and_learns_slowly(digits, seed, stddev, saturates):
    # About half the units of the second layer saturate (a fifth of the first), and the loss
    # crawls; with Glorot initialization no unit saturates. The judgement gets the loss and the
    # chance loss next to the unit signals.
    from diagnostics.activations import detect_saturation

    keras.utils.set_random_seed(seed)
    x, y = digits
    init = "glorot_uniform" if stddev is None else keras.initializers.RandomNormal(stddev=stddev)
    model = keras.Sequential([keras.Input((64,)), L.Dense(64, "sigmoid", kernel_initializer=init),
                              L.Dense(64, "sigmoid", kernel_initializer=init), L.Dense(10, "softmax")])
    model.compile(keras.optimizers.SGD(0.1), "sparse_categorical_crossentropy")
    monitor = ActivationMonitor(probe_data=x[:256])
    history = model.fit(x, y, batch_size=32, epochs=4, verbose=0, callbacks=[monitor])
    findings = detect_saturation(monitor.history, loss=history.history["loss"], chance_loss=np.log(10.0))
    assert [f.kind for f in findings] == (["saturation"] if saturates else [])
    if saturates:
        assert findings[0].evidence["saturated_frac"] >= 0.3
