"""A BatchNormalization on raw inputs whose moving averages never reach the data: training
normalizes each batch, inference does not. Named as `unnormalized_input` (leading what it
explains), and quiet when the averages catch up."""

import keras
import numpy as np
import pytest
from sklearn.datasets import load_breast_cancer

from benchmarks.accuracy.heldout11_mlp_train_step_without_training_flag import StepWithoutTrainingFlag
from callbacks.generalization_monitor import inference_scale
from diagnostics.batch_norm_statistics import STALE_SCALE
from tests.diagnostics._diagnosed_fit import SEEDS_SLOW_AFTER_FIRST, fit_under_diagnostics

L = keras.layers


@pytest.mark.parametrize("shape, axis", [((64, 5), -1), ((16, 4, 4, 3), -1), ((16, 3, 4, 4), 1)])
def test_inference_scale_is_the_spread_keras_own_inference_leaves(shape, axis):
    rng = np.random.default_rng(0)
    x = (rng.normal(size=shape) * rng.uniform(0.5, 40.0) + rng.uniform(-9.0, 9.0)).astype("float32")
    layer = L.BatchNormalization(axis=axis)
    layer.build(shape)
    channels = shape[axis]
    layer.moving_mean.assign(rng.normal(size=channels).astype("float32"))
    layer.moving_variance.assign(rng.uniform(0.5, 4.0, size=channels).astype("float32"))
    out = np.moveaxis(np.asarray(layer(x, training=False), dtype=np.float64), axis, -1).reshape(-1, channels)
    expected = np.sqrt(np.mean(out**2, axis=0)).max()  # gamma 1, beta 0: what inference passes on
    assert inference_scale(layer, x) == pytest.approx(expected, rel=1e-5)


def _fit(seed, momentum=0.99, model_class=keras.Model, optimizer=None):
    x, y = load_breast_cancer(return_X_y=True)  # 30 raw features, from about 1e-3 to 4e3
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order].astype("float32"), y[order].astype("float32")
    keras.utils.set_random_seed(seed)
    inputs = keras.Input((30,))
    hidden = L.Dense(32, activation="relu")(L.BatchNormalization(momentum=momentum)(inputs))
    model = model_class(inputs, L.Dense(1, activation="sigmoid")(hidden))
    model.compile(optimizer or keras.optimizers.Adam(1e-3), "binary_crossentropy")
    return fit_under_diagnostics(model, x[:450], y[:450], validation_data=(x[450:], y[450:]), epochs=12,
                                 batch_size=32)


@pytest.mark.parametrize("seed", SEEDS_SLOW_AFTER_FIRST)
def test_moving_averages_too_slow_for_the_run_lead_as_unnormalized_input(seed):
    history, diagnostics = _fit(seed, momentum=0.999)
    assert history["val_loss"][-1] > 3 * history["loss"][-1]  # the fault: inference sees raw rows
    lead = diagnostics.findings[0]
    assert (lead.kind, lead.layer) == ("unnormalized_input", "batch_normalization")
    assert lead.evidence["stale_normalization"] >= STALE_SCALE
    assert lead.remedies[0].action == "standardize_inputs"
    # Validation predictions gone wrong at inference (they can look renamed) are this, too.
    assert all(f.explained_by == "unnormalized_input" for f in diagnostics.findings[1:])
    assert "label_mismatch" not in [f.kind for f in diagnostics.findings]
    history, diagnostics = _fit(seed, momentum=0.9)  # the fix: averages that catch up
    assert diagnostics.findings == []


@pytest.mark.parametrize("seed", SEEDS_SLOW_AFTER_FIRST)
def test_a_custom_step_that_trains_in_inference_mode_is_named_by_its_raw_inputs(seed):
    _, diagnostics = _fit(seed, model_class=StepWithoutTrainingFlag, optimizer=keras.optimizers.SGD(0.01))
    lead = diagnostics.findings[0]
    assert (lead.kind, lead.layer) == ("unnormalized_input", "batch_normalization")
    assert lead.evidence["stale_normalization"] > 100  # moving statistics never left 0 and 1


@pytest.mark.parametrize("seed", SEEDS_SLOW_AFTER_FIRST)
def test_a_sequential_built_by_fit_is_read_through_its_layers(seed):
    # No Input: the model has no graph until fit builds it, and no `model.input` to read from.
    x, y = load_breast_cancer(return_X_y=True)
    order = np.random.default_rng(seed).permutation(len(x))
    x, y = x[order].astype("float32"), y[order].astype("float32")
    keras.utils.set_random_seed(seed)
    model = keras.Sequential([L.BatchNormalization(momentum=0.999), L.Dense(32, activation="relu"),
                              L.Dense(1, activation="sigmoid")])
    model.compile(keras.optimizers.Adam(1e-3), "binary_crossentropy")
    _, diagnostics = fit_under_diagnostics(model, x[:450], y[:450], validation_data=(x[450:], y[450:]), epochs=12,
                                           batch_size=32)
    assert (diagnostics.findings[0].kind, diagnostics.findings[0].layer) == ("unnormalized_input",
                                                                           "batch_normalization")

