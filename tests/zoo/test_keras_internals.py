"""Fails loudly, naming the Keras version, when Keras moves one of the internals we rely on."""

import keras
import numpy as np
import pytest

from zoo import _keras_internals as internals
from zoo._serialization import PACKAGE, register_serializable

MOVED = f"Keras {keras.__version__} moved an internal that zoo/_keras_internals.py relies on"


def _nested_model():
    inner = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="inner_dense")], name="inner")
    inputs = keras.Input((4,))
    outputs = keras.layers.Dense(2, name="head")(inner(inputs))
    return keras.Model(inputs, outputs)


def test_all_layers_recurses_into_nested_models():
    try:
        names = [layer.name for layer in internals.all_layers(_nested_model())]
    except AttributeError as error:
        pytest.fail(f"{MOVED}: {error}")
    assert names == ["inner", "inner_dense", "head"], MOVED


def test_producing_layer_of_a_functional_output():
    model = _nested_model()
    assert internals.producing_layer(model.outputs[0]) is model.get_layer("head"), MOVED
    assert internals.producing_layer(np.zeros(2)) is None


def test_optimizer_slots_follow_the_variables():
    model = _nested_model()
    optimizer = keras.optimizers.Adam()
    optimizer.build(model.trainable_variables)
    try:
        variables = internals.optimizer_variables(optimizer)
        indices = [internals.variable_index(optimizer, v) for v in model.trainable_variables]
    except AttributeError as error:
        pytest.fail(f"{MOVED}: {error}")
    assert [v.path for v in variables] == [v.path for v in model.trainable_variables], MOVED
    assert indices == list(range(len(model.trainable_variables))), MOVED


def test_patch_and_unpatch_one_instance():
    optimizer, other = keras.optimizers.SGD(), keras.optimizers.SGD()
    token = internals.patch_method(optimizer, "apply", lambda *args: "patched")
    assert optimizer.apply() == "patched" and internals.is_patched(optimizer, "apply")
    assert not internals.is_patched(other, "apply")
    internals.unpatch_method(token)
    assert not internals.is_patched(optimizer, "apply")
    assert optimizer.apply.__func__ is keras.optimizers.SGD.apply


def test_registered_names_and_legacy_alias():
    @register_serializable(legacy_package="zoo_test_legacy")
    class Doubling(keras.layers.Layer):
        def call(self, x):
            return 2 * x

    assert keras.saving.get_registered_name(Doubling) == f"{PACKAGE}>Doubling"
    assert keras.saving.get_registered_object("zoo_test_legacy>Doubling") is Doubling
    config = keras.saving.serialize_keras_object(Doubling())
    config["registered_name"] = "zoo_test_legacy>Doubling"  # as a 0.1 file names it
    assert isinstance(keras.saving.deserialize_keras_object(config), Doubling)


def test_skippable_cond_keeps_one_unlowered_if_that_runs_only_when_true():
    import tensorflow as tf

    counter = tf.Variable(0)

    @tf.function(autograph=False)
    def step(flag):
        internals.skippable_cond(flag, lambda: counter.assign_add(1))
        tf.cond(flag, lambda: counter.assign_add(10), lambda: counter.assign_add(0))

    graph = step.get_concrete_function(tf.TensorSpec((), tf.bool)).graph
    ifs = [op for op in graph.get_operations() if op.type in ("If", "StatelessIf")]
    lowering = [op.node_def.attr["_lower_using_switch_merge"].b for op in ifs]
    # A plain tf.cond is marked for lowering (TensorFlow's default); ours is not.
    assert sorted(lowering) == [False, True], (
        f"TensorFlow {tf.__version__} no longer marks conds for lowering as zoo/_keras_internals.py expects")
    step(tf.constant(False))
    step(tf.constant(True))
    assert int(counter.numpy()) == 11


def test_skippable_cond_under_xla_and_eagerly():
    import tensorflow as tf

    counter = tf.Variable(0)
    compiled = tf.function(lambda flag: internals.skippable_cond(flag, lambda: counter.assign_add(1)) and None,
                           jit_compile=True, autograph=False)
    compiled(tf.constant(True))
    compiled(tf.constant(False))
    assert internals.skippable_cond(tf.constant(True), lambda: counter.assign_add(5)) == []
    assert int(counter.numpy()) == 6


def test_activation_logits_are_the_softmax_and_sigmoid_inputs_in_a_traced_step():
    import tensorflow as tf

    @tf.function(autograph=False)
    def outputs(x):
        softmax, sigmoid = keras.activations.softmax(x), keras.activations.sigmoid(x)
        return [internals.activation_logits(softmax), internals.activation_logits(sigmoid),
                tf.constant(internals.activation_logits(tf.nn.relu(x)) is None)]

    x = tf.constant([[1.0, -2.0, 3.0]])
    softmax_logits, sigmoid_logits, relu_has_none = outputs(x)
    assert softmax_logits is not None, f"{MOVED}: softmax outputs carry no `_keras_logits`"
    np.testing.assert_array_equal(softmax_logits.numpy(), x.numpy())
    np.testing.assert_array_equal(sigmoid_logits.numpy(), x.numpy())
    assert bool(relu_has_none)


def test_gradient_accumulation_state():
    """`apply_calls` counts every `apply`, `iterations` only the updates; `accumulated_gradient`
    holds the sum of the gradients received since the last update."""
    variable = keras.Variable(np.zeros(2, "float32"))
    optimizer = keras.optimizers.SGD(1.0, gradient_accumulation_steps=3)
    try:
        internals.build_optimizer(optimizer, [variable])
        for grad in ([1.0, 2.0], [3.0, 4.0]):
            optimizer.apply([keras.ops.convert_to_tensor(np.float32(grad))], [variable])
        calls = int(internals.apply_calls(optimizer).numpy())
        accumulated = internals.accumulated_gradient(optimizer, variable).numpy()
    except AttributeError as error:
        pytest.fail(f"{MOVED}: {error}")
    assert calls == 2 and int(optimizer.iterations.numpy()) == 0, MOVED
    np.testing.assert_array_equal(accumulated, [4.0, 6.0], err_msg=MOVED)
    np.testing.assert_array_equal(variable.numpy(), [0.0, 0.0])  # no update yet



def test_a_plain_train_function_is_built_beside_the_models_own():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    model.make_train_function()
    own = model.train_function
    plain = internals.make_plain_train_function(model)
    assert plain is not None and callable(plain), MOVED
    assert model.train_function is own  # built beside it, not stored on the model
    data = iter([(np.ones((2, 4), "float32"), np.zeros((2, 1), "float32"))])
    logs = plain(data)
    assert model.optimizer.iterations.numpy() == 1 and np.isfinite(float(logs["loss"])), MOVED
