"""The zoo's custom layers: Maxout and GLU."""

import keras
import numpy as np
import pytest

from zoo.layers import GLU, Maxout


def test_maxout_takes_the_maximum_of_consecutive_groups():
    x = np.array([[1.0, 5.0, -2.0, -3.0, 0.0, 4.0]], "float32")
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(Maxout(pieces=2)(x)), [[5.0, -2.0, 4.0]])
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(Maxout(pieces=3)(x)), [[5.0, 4.0]])


def test_maxout_works_on_image_channels():
    images = np.random.default_rng(0).normal(size=(2, 3, 3, 8)).astype("float32")
    output = keras.ops.convert_to_numpy(Maxout(pieces=4)(images))
    np.testing.assert_array_equal(output, images.reshape(2, 3, 3, 2, 4).max(-1))


def test_maxout_checks_its_arguments():
    with pytest.raises(ValueError, match="Received: pieces=1"):
        Maxout(pieces=1)
    with pytest.raises(TypeError, match="Received: pieces=2.0"):
        Maxout(pieces=2.0)
    with pytest.raises(ValueError, match="multiple of pieces=2"):
        Maxout(pieces=2)(keras.Input((5,)))


def test_glu_gates_the_first_half_with_the_second():
    x = np.array([[1.0, 2.0, 0.0, 100.0]], "float32")
    expected = np.array([[1.0 * 0.5, 2.0 * 1.0]], "float32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(GLU()(x)), expected, atol=1e-6)
    assert GLU().compute_output_shape((None, 4)) == (None, 2)
    with pytest.raises(ValueError, match="must be even"):
        GLU()(keras.Input((5,)))


@pytest.mark.parametrize("layer", [Maxout(pieces=3, name="maxout"), GLU(name="glu")])
def test_layers_round_trip_through_keras_files(layer, tmp_path):
    inputs = keras.Input((6,))
    model = keras.Model(inputs, layer(keras.layers.Dense(6)(inputs)))
    x = np.random.default_rng(0).normal(size=(4, 6)).astype("float32")
    path = tmp_path / "model.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    assert type(restored.layers[-1]) is type(layer)
    assert restored.layers[-1].get_config() == layer.get_config()
    np.testing.assert_allclose(restored.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-6)


@pytest.mark.parametrize("layer_class", [Maxout, GLU])
def test_layers_load_from_configs_that_use_their_old_zoo_names(layer_class):
    inputs = keras.Input((6,))
    model = keras.Model(inputs, layer_class(name="custom")(keras.layers.Dense(6)(inputs)))
    current = f'"registered_name": "zoo_diagnostics>{layer_class.__name__}"'
    assert current in model.to_json()
    legacy = model.to_json().replace(current, f'"registered_name": "zoo>{layer_class.__name__}"')
    restored = keras.models.model_from_json(legacy)
    assert type(restored.get_layer("custom")) is layer_class
