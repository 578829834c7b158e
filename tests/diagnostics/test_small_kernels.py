"""Kernels drawn near zero: a setup finding that stands beside the stall it explains, and only there."""

import warnings

import keras
import numpy as np
import pytest
from sklearn.datasets import load_digits

from callbacks import TrainingDiagnostics
from callbacks._guard import NotJudgedWarning
from diagnostics import judge
from diagnostics.findings import Finding
from diagnostics.setup_checks import check_setup
from diagnostics.setup_model import SMALL_KERNEL_SCALE, check_model

L = keras.layers


def _mlp(stddev=None, depth=4, output_stddev=None, activation="tanh"):
    init = (lambda s: keras.initializers.RandomNormal(stddev=s)) if stddev else (lambda s: "glorot_uniform")
    layers = [keras.Input((64,))]
    layers += [L.Dense(32, activation=activation, kernel_initializer=init(stddev), name=f"hidden_{i}")
               for i in range(depth)]
    out_init = keras.initializers.RandomNormal(stddev=output_stddev) if output_stddev else "glorot_uniform"
    layers.append(L.Dense(10, activation="softmax", kernel_initializer=out_init, name="out"))
    model = keras.Sequential(layers)
    model.compile(keras.optimizers.SGD(0.05), "sparse_categorical_crossentropy")
    return model


def test_hidden_kernels_drawn_near_zero_are_named_with_their_scale():
    keras.utils.set_random_seed(0)
    model = _mlp(stddev=1e-3)
    [finding] = [f for f in check_model(model) if "small_kernel_scale" in f.evidence]
    kernels = [model.get_layer(f"hidden_{i}").kernel.numpy().astype(np.float64) for i in range(4)]
    scales = [k.std() * np.sqrt(k.shape[0]) for k in kernels]  # NumPy: std x sqrt(fan_in)
    assert finding.kind == "suspicious_config" and finding.layer == "hidden_0"
    assert finding.evidence["small_kernel_layers"] == [f"hidden_{i}" for i in range(4)]
    assert finding.evidence["kernel_scale"] == pytest.approx(min(scales), rel=1e-6)
    assert finding.evidence["needs_consequence"] is True


@pytest.mark.parametrize("model", [
    lambda: _mlp(),                                    # Keras' default: scale about 1
    lambda: _mlp(output_stddev=1e-3),                  # only the output layer: it does not stall the stack
    lambda: _mlp(stddev=SMALL_KERNEL_SCALE / 4),       # stddev 0.025 on 64 (then 32) inputs: scale 0.14-0.2
])
def test_no_finding_for_kernels_at_a_working_scale(model):
    keras.utils.set_random_seed(0)
    assert [f for f in check_model(model()) if "small_kernel_scale" in f.evidence] == []


def test_before_training_and_without_a_consequence_it_is_left_out():
    keras.utils.set_random_seed(0)
    model = _mlp(stddev=1e-3)
    x, y = load_digits(return_X_y=True)
    assert not any("small_kernel_scale" in f.evidence for f in check_setup(model, x[:64] / 16.0, y[:64]))
    [small] = [f for f in check_model(model) if "small_kernel_scale" in f.evidence]
    record = {"history": {}, "extras": {"SetupMonitor": {"findings": [small.to_dict()]}}}
    assert judge(record) == []
    saddle = Finding("saddle_point", "warning", 3, None, "A saddle.", {"min_eigenvalue": -0.3, "max_eigenvalue": 0.3})
    record["extras"]["SetupMonitor"]["findings"].append(saddle.to_dict())
    assert [(f.kind, f.explained_by) for f in judge(record)] == [("suspicious_config", None),
                                                                 ("saddle_point", "suspicious_config")]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_tanh_stack_drawn_at_1e_3_leads_with_its_initialization_and_its_twin_is_healthy(seed):
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype("float32")
    verdicts = {}
    for stddev in (1e-3, None):
        keras.utils.set_random_seed(seed)
        diagnostics = TrainingDiagnostics(verbose=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", NotJudgedWarning)  # no validation data
            _mlp(stddev=stddev).fit(x, y, epochs=8, batch_size=64, verbose=0, callbacks=[diagnostics])
        verdicts[stddev] = diagnostics.findings
    lead, *effects = verdicts[1e-3]
    assert lead.kind == "suspicious_config" and "small_kernel_scale" in lead.evidence
    assert effects and all(f.explained_by == "suspicious_config" for f in effects)
    assert lead.remedies[0].action == "set_initializer"
    assert verdicts[None] == []
