"""One judge: the same findings whatever the display flag or the monitors' order, live and offline.

Monitors used to read each other's values from `logs`, so `log_layers=False` or another order of
`DEFAULT_MONITORS` changed the verdict; `python -m diagnostics run.json` re-judged with its own
composition of detectors. Now every monitor only records and `diagnostics.judge` decides.

The slow tier checks it on scenarios of the accuracy benchmark (`benchmarks/accuracy/`) that
cover most finding kinds, at three seeds.
"""

import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits

from benchmarks.accuracy import SCENARIOS, harness
from callbacks import DEFAULT_MONITORS, GeneralizationMonitor, TrainingDiagnostics
from diagnostics import load_run, report
from diagnostics.__main__ import judge as judge_run_file


def _digits(rows=480):
    x, y = load_digits(return_X_y=True)
    return (x[:rows] / 16.0).astype("float32"), y[:rows]


def _sigmoid_stack(seed):
    """Vanishing gradients: eight sigmoid layers under plain SGD."""
    keras.utils.clear_session(free_memory=False)  # the same layer names in every fit
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((64,))]
                             + [keras.layers.Dense(32, activation="sigmoid") for _ in range(8)]
                             + [keras.layers.Dense(10, activation="softmax")])
    model.compile(keras.optimizers.SGD(0.05), "sparse_categorical_crossentropy")
    return model


def _dead_relus(seed):
    """Dead units: a ReLU layer whose bias starts far below its inputs' reach."""
    keras.utils.clear_session(free_memory=False)
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((64,)),
                              keras.layers.Dense(64, activation="relu",
                                                 bias_initializer=keras.initializers.Constant(-8.0)),
                              keras.layers.Dense(32, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(keras.optimizers.Adam(1e-3), "sparse_categorical_crossentropy")
    return model


def _healthy(seed):
    keras.utils.clear_session(free_memory=False)
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([keras.Input((64,)), keras.layers.Dense(64, activation="relu"),
                              keras.layers.Dense(10, activation="softmax")])
    model.compile(keras.optimizers.Adam(3e-3), "sparse_categorical_crossentropy")
    return model


def _verdict(findings):
    return [(f.kind, f.layer, f.epoch, f.severity) for f in findings]


def _fit(build, seed, tmp_path, **options):
    x, y = _digits()
    diagnostics = TrainingDiagnostics(verbose=0, report_dir=tmp_path, **options)
    keras.utils.set_random_seed(seed)
    build(seed).fit(x, y, epochs=5, batch_size=32, validation_split=0.25, verbose=0, callbacks=[diagnostics])
    return diagnostics


def _check_one_verdict(build, seed, tmp_path):
    default = _fit(build, seed, tmp_path / "default")
    quiet = _fit(build, seed, tmp_path / "quiet", log_layers=False)
    reversed_order = _fit(build, seed, tmp_path / "reversed", monitors=list(reversed(DEFAULT_MONITORS)))
    np.testing.assert_array_equal(default.history["loss"], quiet.history["loss"])
    verdict = _verdict(default.findings)
    assert _verdict(quiet.findings) == verdict
    assert _verdict(reversed_order.findings) == verdict
    for folder in ("default", "quiet", "reversed"):
        assert _verdict(judge_run_file(load_run(tmp_path / folder / "run.json"))) == verdict
    return verdict


# Up to 45 s a seed on 2 cores: the slow tier runs them.
@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_vanishing_gradients_get_one_verdict(seed, tmp_path):
    verdict = _check_one_verdict(_sigmoid_stack, seed, tmp_path)
    assert verdict and verdict[0][0] == "vanishing_gradient"


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("build, lead", [(_dead_relus, "dead_relu"), (_healthy, None)])
def test_dead_units_and_a_healthy_run_get_one_verdict(build, lead, seed, tmp_path):
    verdict = _check_one_verdict(build, seed, tmp_path)
    assert (verdict[0][0] if verdict else None) == lead


# Cheap scenarios of the accuracy benchmark whose faults, together, raise most kinds: vanishing,
# exploding and non-finite gradients, dead and saturated units, overfitting, oscillation with a
# learning rate past its stable range, a saddle, class imbalance, label and output-loss mismatches,
# non-finite targets, a healthy run, and a CNN whose labels are all one class.
BENCHMARK_SCENARIOS = (
    "mlp_ten_sigmoid_layers",
    "mlp_relu_init_stddev_1",
    "mlp_relu_bias_init_minus_2",
    "mlp_sigmoid_init_stddev_4",
    "mlp_512_units_100_noisy_samples_no_dropout",
    "mlp_tanh_sgd_lr_3",
    "mlp_one_tanh_layer_init_stddev_1e_4",
    "mlp_long_tail_digits",
    "mlp_labels_divided_by_255",
    "mlp_softmax_on_one_unit",
    "mlp_regression_nan_targets",
    "healthy_two_epochs",
    # Reversed, ImbalanceMonitor used to reset the shared probe's class counts as it read them,
    # before SetupMonitor read them at the first epoch end (found by --check-invariance).
    "cnn_every_label_one_class",
)

VARIANT_OPTIONS = {
    "default": {},
    "quiet": {"log_layers": False},
    "reversed": {"monitors": list(reversed(DEFAULT_MONITORS))},
}


def _fit_scenario(name, seed, folder, **options):
    """Fits a benchmark scenario (no jit) and judges its run.json as `python -m diagnostics` does.
    Returns `(losses, live verdict, offline verdict, monitor)`."""
    _, history, _, monitor = harness.fit_scenario(SCENARIOS[name], seed, False, **options)
    folder.mkdir()
    report.save_run(monitor.run(), folder / "run.json")
    offline = judge_run_file(load_run(folder / "run.json"))
    return history["loss"], _verdict(monitor.findings), _verdict(offline), monitor


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("name", BENCHMARK_SCENARIOS)
def test_benchmark_scenarios_get_one_verdict_live_and_offline(name, seed, tmp_path):
    runs = {variant: _fit_scenario(name, seed, tmp_path / variant, **options)
            for variant, options in VARIANT_OPTIONS.items()}
    losses, verdict, _, monitor = runs["default"]
    for variant, (variant_losses, live, offline, _) in runs.items():
        np.testing.assert_array_equal(variant_losses, losses, err_msg=f"{variant} trained differently")
        assert live == verdict, f"{variant}: {live} != default {verdict}"
        assert offline == verdict, f"{variant} judged offline: {offline} != default {verdict}"
    assert [note for note in monitor.skipped if note.hook != "not_judged"] == []  # no monitor failed
    if SCENARIOS[name].healthy:
        assert verdict == []
    else:
        assert verdict, "a faulty run with no finding proves nothing about invariance"


def test_no_monitor_keeps_another_monitor_s_values_from_logs():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy")
    monitor = GeneralizationMonitor()
    monitor.set_model(model)
    monitor.on_train_begin()
    # What StallMonitor and GradientMonitor write into the same logs, beside Keras' metrics.
    monitor.on_epoch_end(0, {"loss": 1.0, "val_loss": 1.2, "global_grad_norm": 0.5, "grad_norm/dense": 0.1})
    assert sorted(monitor.history) == ["loss", "val_loss"]
