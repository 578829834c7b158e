"""Knob semantics of `build_rnn`, `build_lstm` and `build_gru`."""

import keras
import numpy as np
import pytest

import zoo

BUILDERS = {
    "rnn": (zoo.build_rnn, keras.layers.SimpleRNN),
    "lstm": (zoo.build_lstm, keras.layers.LSTM),
    "gru": (zoo.build_gru, keras.layers.GRU),
}
SMALL = {"input_shape": (5, 3), "units": (4,)}


def _names(model):
    return [layer.name for layer in model.layers]


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_stacked_layers_of_the_right_kind(kind):
    build, layer_class = BUILDERS[kind]
    model = build(**{**SMALL, "units": (4, 6)})
    assert _names(model) == ["input", f"{kind}_1", f"{kind}_2", "output"]
    first, second = model.get_layer(f"{kind}_1"), model.get_layer(f"{kind}_2")
    assert type(first) is layer_class and first.units == 4 and second.units == 6
    assert first.return_sequences and not second.return_sequences
    assert model.output_shape == (None, 1)  # a regression by default


def test_classification_regression_and_sequence_outputs():
    classifier = zoo.build_lstm(**SMALL, num_classes=4)
    assert classifier.output_shape == (None, 4)
    assert classifier.get_layer("output").activation is keras.activations.softmax
    assert zoo.build_lstm(**SMALL, num_classes=1).get_layer("output").activation is keras.activations.sigmoid
    regression = zoo.build_lstm(**SMALL, output_units=3)
    assert regression.output_shape == (None, 3)
    assert regression.get_layer("output").activation is keras.activations.linear
    tagger = zoo.build_gru(**SMALL, num_classes=4, return_sequences=True)
    assert tagger.output_shape == (None, 5, 4)
    assert tagger.get_layer("gru_1").return_sequences


def test_bidirectional_wraps_each_layer_and_doubles_the_features():
    model = zoo.build_gru(**{**SMALL, "units": (4, 4)}, bidirectional=True)
    layer = model.get_layer("gru_1")
    assert isinstance(layer, keras.layers.Bidirectional)
    assert layer.forward_layer.name == "forward_gru_1"
    assert layer.backward_layer.name == "backward_gru_1"
    assert tuple(layer.output.shape) == (None, 5, 8)
    assert tuple(model.get_layer("gru_2").output.shape) == (None, 8)


def test_variable_length_sequences():
    model = zoo.build_rnn(input_shape=(None, 3), units=4, num_classes=2)
    for steps in (2, 7):
        x = np.zeros((3, steps, 3), "float32")
        assert keras.ops.convert_to_numpy(model(x)).shape == (3, 2)


def test_initializers_dropout_and_activation_reach_the_cells():
    model = zoo.build_rnn(
        **SMALL,
        activation="relu",
        recurrent_initializer="identity",  # the IRNN of Le et al. (2015)
        bias_initializer="ones",
        dropout=0.1,
        recurrent_dropout=0.2,
    )
    layer = model.get_layer("rnn_1")
    assert layer.cell.activation is keras.activations.relu
    np.testing.assert_array_equal(layer.cell.recurrent_kernel.numpy(), np.eye(4))
    np.testing.assert_array_equal(layer.cell.bias.numpy(), np.ones(4))
    assert (layer.cell.dropout, layer.cell.recurrent_dropout) == (0.1, 0.2)


def test_l2_penalises_input_and_recurrent_kernels():
    model = zoo.build_lstm(**{**SMALL, "units": (4, 4)}, l2=1e-3)
    assert len(model.losses) == 5  # 2 layers x (kernel, recurrent kernel) + output


def test_trains_with_gradient_clipping_set_at_compile_time():
    model = zoo.build_lstm(**SMALL)
    model.compile(optimizer=keras.optimizers.SGD(0.1, global_clipnorm=1.0), loss="mse")
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(8, 5, 3)).astype("float32"), rng.normal(size=(8, 1)).astype("float32")
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
