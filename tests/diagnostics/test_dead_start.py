"""Layers that start all-zero under a ReLU: they never get a gradient, a setup error that leads
what it explains; nothing where the zero start can move (a bias, a leaky slope, tanh)."""

import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

from callbacks import TrainingDiagnostics
from callbacks._guard import NotJudgedWarning
from diagnostics.remedies import describe_setup, remedies_for
from diagnostics.setup_model import check_model

L = keras.layers
STEPS, CLASSES = 32, 3


def _convnet(kernel_initializer="zeros", bias_initializer="zeros", activation="relu", after=None):
    convs = []
    for i in range(3):
        convs.append(L.Conv1D(8, 5, padding="same", activation=activation, name=f"conv_{i}",
                              kernel_initializer=kernel_initializer, bias_initializer=bias_initializer))
        if after is not None:
            convs.append(after())
    return keras.Sequential([keras.Input((STEPS, 1)), *convs, L.GlobalAveragePooling1D(),
                             L.Dense(CLASSES, activation="softmax", name="out")])


def _dead(model):
    return [name for f in check_model(model) if "dead_start_layers" in f.evidence
            for name in f.evidence["dead_start_layers"]]


def _waves(seed, n=600):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, CLASSES, size=n)
    period = rng.uniform(6, 16, size=(n, 1))
    t = np.arange(STEPS)[None, :] / period + rng.uniform(0, 1, size=(n, 1))
    sine = np.sin(2 * np.pi * t)
    x = np.select([y[:, None] == 0, y[:, None] == 1], [sine, np.sign(sine)], 2 * (t % 1.0) - 1)
    return (x + rng.normal(0, 0.2, size=x.shape))[..., None].astype("float32"), y


@pytest.mark.parametrize("model, expected", [
    (lambda: _convnet(), ["conv_0", "conv_1", "conv_2"]),
    (lambda: _convnet(activation=None, after=lambda: L.ReLU()), ["conv_0", "conv_1", "conv_2"]),
    (lambda: _convnet(activation="relu6"), ["conv_0", "conv_1", "conv_2"]),
    (lambda: _convnet(bias_initializer="ones"), []),          # relu(b) > 0: the kernels get a gradient
    (lambda: _convnet(activation=None, after=lambda: L.ReLU(negative_slope=0.1)), []),
    (lambda: _convnet(activation="gelu"), []),                # gelu'(0) = 0.5
    (lambda: _convnet(activation="tanh"), []),                # the saddle's finding, not this one
    (lambda: _convnet(kernel_initializer="he_normal"), []),
], ids=["relu", "relu_layer", "relu6", "bias_one", "leaky", "gelu", "tanh", "random"])
def test_only_layers_whose_zero_start_passes_no_gradient_are_named(model, expected):
    assert _dead(model()) == expected


def test_the_named_layers_get_exactly_zero_gradient_and_the_others_do_not():
    # The mechanism the finding states, by TensorFlow's own gradient: zero for the dead layers only.
    x, y = _waves(0, 64)
    for model, dead in ((_convnet(), True), (_convnet(bias_initializer="ones"), False)):
        with tf.GradientTape() as tape:
            loss = keras.losses.sparse_categorical_crossentropy(y, model(x))
        conv_weights = [w for w in model.trainable_weights if "conv" in w.path]
        norms = [float(tf.norm(g)) for g in tape.gradient(loss, conv_weights)]
        assert (max(norms) == 0.0) == dead


def _fit(kernel_initializer, seed):
    (x, y), (x_val, y_val) = _waves(seed), _waves(seed + 1000, 200)
    keras.utils.set_random_seed(seed)
    model = _convnet(kernel_initializer=kernel_initializer)
    model.compile(keras.optimizers.Adam(3e-3), "sparse_categorical_crossentropy")
    diagnostics = TrainingDiagnostics(verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotJudgedWarning)
        history = model.fit(x, y, epochs=6, batch_size=32, validation_data=(x_val, y_val), verbose=0,
                            callbacks=[diagnostics])
    return history.history, diagnostics.findings


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_dead_start_leads_what_it_explains_and_the_random_twin_is_healthy(seed):
    history, findings = _fit("zeros", seed)
    faulty_val_loss = history["val_loss"][-1]
    assert faulty_val_loss > 0.95 * np.log(CLASSES)  # it happened: the class prior and no more
    lead, *effects = findings
    assert (lead.kind, lead.severity, lead.layer) == ("suspicious_config", "error", "conv_0")
    assert all(f.explained_by == "suspicious_config" for f in effects)
    assert lead.remedies[0].action == "set_initializer"
    assert lead.remedies[0].params == {"kernel_initializer": "he_normal", "layers": ["conv_0", "conv_1", "conv_2"]}
    history, findings = _fit("he_normal", seed)
    assert history["val_loss"][-1] < faulty_val_loss / 2 and findings == []


def _residual(branch_end_activation, blocks=2, width=8):
    inputs = keras.Input((4,))
    stream = L.Dense(width, name="projection")(inputs)
    for i in range(blocks):
        branch = L.Dense(width, activation="relu", kernel_initializer="he_normal", name=f"branch_{i}")(stream)
        branch = L.Dense(width, activation=branch_end_activation, kernel_initializer="zeros", name=f"end_{i}")(branch)
        stream = L.Add()([stream, branch])
    return keras.Model(inputs, L.Dense(CLASSES, activation="softmax", name="out")(stream))


def test_a_zero_relu_residual_branch_end_is_told_to_go_linear_first():
    model = _residual("relu")
    [finding] = [f for f in check_model(model) if "dead_start_layers" in f.evidence]
    assert finding.evidence["zero_branch_ends"] == ["end_0", "end_1"]
    first, second = remedies_for(finding, describe_setup(model))
    assert (first.action, first.params) == ("set_activation", {"activation": "linear", "layers": ["end_0", "end_1"]})
    assert second.action == "set_initializer"
    # With the ReLU dropped, the zero start is the identity block that trains: nothing to name.
    assert _dead(_residual(None)) == []


def test_a_zero_relu_layer_outside_a_residual_sum_keeps_the_random_init_remedy():
    model = _convnet()
    [finding] = [f for f in check_model(model) if "dead_start_layers" in f.evidence]
    assert "zero_branch_ends" not in finding.evidence
    assert [r.action for r in remedies_for(finding, describe_setup(model))] == ["set_initializer"]
