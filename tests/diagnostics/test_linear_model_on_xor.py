"""A model with no nonlinearity cannot fit XOR: its loss stays at chance. Under Adam the stall
probe still measures negative curvature there (two linear branches multiply), but Adam leaves a
strict saddle within a few steps, so what holds the loss is the model, and the judge says
underfitting, not saddle point."""

import warnings

import keras
import numpy as np
import pytest

from callbacks import TrainingDiagnostics

L = keras.layers


def _linear_branches_on_xor(seed, loss_scaled=False):
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=(2, 1200, 2)).astype("float32")
    y = ((a[:, 0] > 0) != (b[:, 0] > 0)).astype("int64")  # the sign of one feature of each input, XORed
    keras.utils.set_random_seed(seed)
    inputs = [keras.Input((2,)), keras.Input((2,))]
    outputs = L.Dense(1, activation="sigmoid")(L.Concatenate()([L.Dense(8)(tensor) for tensor in inputs]))
    model = keras.Model(inputs, outputs)
    optimizer = keras.optimizers.Adam(1e-2)
    model.compile(keras.optimizers.LossScaleOptimizer(optimizer) if loss_scaled else optimizer, "binary_crossentropy")
    diagnostics = TrainingDiagnostics(verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        history = model.fit([a[:900], b[:900]], y[:900], validation_data=([a[900:], b[900:]], y[900:]), epochs=10,
                            batch_size=32, verbose=0, callbacks=[diagnostics])
    return history.history, diagnostics


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_a_linear_model_on_xor_under_adam_is_underfitting_not_a_saddle(seed):
    history, diagnostics = _linear_branches_on_xor(seed)
    assert history["loss"][-1] > 0.95 * np.log(2)  # the fault: the loss stays at chance
    stalls = diagnostics.run()["extras"]["StallMonitor"]["stalls"]
    assert stalls and stalls[0]["curvature"]["min_eigenvalue"] < 0 and stalls[0]["adaptive"]
    assert [(f.kind, f.explained_by) for f in diagnostics.findings] == [("underfitting", None)]


def test_adam_under_a_loss_scale_is_judged_as_adam():
    _, diagnostics = _linear_branches_on_xor(0, loss_scaled=True)
    assert diagnostics.run()["extras"]["StallMonitor"]["stalls"][0]["adaptive"]
    assert [f.kind for f in diagnostics.findings] == ["underfitting"]
