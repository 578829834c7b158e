"""The conformance suite: the same checks for every builder in `zoo.list_models()`.

In the spirit of scikit-learn's `check_estimator` and timm's tests over `list_models()`: a builder
that registers itself is tested here with no extra code. How a model is fed depends on its
registered task: classifiers fit on `(x, one-hot y)`, sequence models on `(x, y)` with a squared
error (it fits classification and regression heads alike), generative models on `x` alone with
their own `compile()`.

The expensive checks (MirroredStrategy for every builder, the per-builder property tests) are
marked slow; the default tier keeps one of each.
"""

import inspect
import re
import zipfile

import hypothesis
import keras
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import strategies as st

import zoo
from zoo._validation import ArgumentTypeError, ArgumentValueError

MODELS = zoo.list_models()
BATCH = 4


# -- helpers -----------------------------------------------------------------------------------


def _spec(name):
    return zoo.get_spec(name)


def _defaults(name):
    """The builder's keyword defaults."""
    signature = inspect.signature(zoo.get_builder(name))
    return {key: parameter.default for key, parameter in signature.parameters.items()}


def _build_small(name, **overrides):
    # Through the builder itself: `zoo.build(name, ...)` would take a builder's own `name=`
    # keyword for the registry name.
    return zoo.get_builder(name)(**{**_spec(name).small_kwargs, **overrides})


def _input_shape(name):
    shape = _spec(name).small_kwargs.get("input_shape", _defaults(name).get("input_shape"))
    return tuple(5 if side is None else side for side in shape)


def _data(name, model, seed=0):
    """A random batch `(x, y, loss)` that fits the model's task; y and loss are None when unlabelled."""
    rng = np.random.default_rng(seed)
    # In [0, 1]: valid for the VAE's Bernoulli likelihood and inside the DCGAN's [-1, 1].
    x = rng.uniform(0.0, 1.0, size=(BATCH, *_input_shape(name))).astype("float32")
    task = _spec(name).task
    if task == "generative":
        return x, None, None
    output_shape = (BATCH, *model.output_shape[1:])
    if None in output_shape:
        output_shape = tuple(np.shape(model(x)))
    if task == "sequence":
        return x, rng.normal(size=output_shape).astype("float32"), "mean_squared_error"
    classes = output_shape[-1]
    if classes == 1:
        return x, rng.integers(0, 2, size=output_shape).astype("float32"), "binary_crossentropy"
    labels = rng.integers(0, classes, size=output_shape[:-1])
    return x, np.eye(classes, dtype="float32")[labels], "categorical_crossentropy"


def _compile(model, name, loss):
    if _spec(name).task == "generative":
        model.compile()
    else:
        model.compile(optimizer=keras.optimizers.Adam(1e-2), loss=loss)


def _fit_once(model, name, x, y):
    history = model.fit(x, y, batch_size=BATCH, epochs=1, verbose=0, shuffle=False)
    for key, values in history.history.items():
        assert np.all(np.isfinite(values)), f"{name}: {key} = {values}"
    return history


def _snapshot(model):
    return [np.array(variable) for variable in model.trainable_variables]


def _expected_outputs(name):
    """The last dimension of a classifier/sequence model's output at its defaults."""
    defaults = _defaults(name)
    if defaults.get("num_classes") is not None:
        return defaults["num_classes"]
    return defaults.get("output_units") or 1


# -- building ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", MODELS)
def test_builds_with_defaults(name):
    model = zoo.build(name)
    assert isinstance(model, keras.Model)
    assert not model.compiled, f"{name} must return an uncompiled model"
    if _spec(name).task != "generative":
        assert model.output_shape[-1] == _expected_outputs(name)
        names = [layer.name for layer in model.layers]
        assert len(names) == len(set(names))


@pytest.mark.parametrize("name", MODELS)
def test_builds_small_with_the_right_output_shapes(name):
    model = _build_small(name)
    x, _, _ = _data(name, model)
    output = keras.ops.convert_to_numpy(model(x))
    assert np.all(np.isfinite(output))
    small = _spec(name).small_kwargs
    if _spec(name).task == "classification":
        assert output.shape == (BATCH, small["num_classes"])
    elif _spec(name).task == "sequence":
        expected = small.get("num_classes") or small.get("output_units") or 1
        steps = (_input_shape(name)[0],) if small.get("return_sequences") else ()
        assert output.shape == (BATCH, *steps, expected)
    else:
        assert output.shape[0] == BATCH


def _layer_names(model):
    """Names of all layers, nested models included (the DCGAN's players, the VAE's halves)."""
    names = []
    for layer in getattr(model, "layers", []):
        names += [layer.name, *_layer_names(layer)]
    return names


def test_layer_names_are_deterministic():
    # Built twice in one session: a layer left to Keras' automatic naming would get a new suffix.
    for name in MODELS:
        first = _layer_names(_build_small(name))
        assert first and first == _layer_names(_build_small(name)), name


def test_outputs_are_float32_under_mixed_precision():
    keras.config.set_dtype_policy("mixed_float16")
    try:
        models = {name: _build_small(name) for name in MODELS if _spec(name).task != "generative"}
    finally:
        keras.config.set_dtype_policy("float32")
    for name, model in models.items():
        assert model.output.dtype == "float32", name


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(set(MODELS) - set(zoo.list_models(classifiers=True))))
def test_generative_models_scale_their_losses_under_mixed_precision(name):
    keras.config.set_dtype_policy("mixed_float16")
    try:
        model = _build_small(name)
        model.compile(steps_per_execution=2)
    finally:
        keras.config.set_dtype_policy("float32")
    optimizers = getattr(model.optimizer, "optimizers", [model.optimizer])
    assert all(isinstance(opt, keras.optimizers.LossScaleOptimizer) for opt in optimizers)
    x, _, _ = _data(name, model)
    history = model.fit(np.concatenate([x] * 4), batch_size=BATCH, epochs=1, verbose=0).history
    assert all(np.all(np.isfinite(values)) for values in history.values())
    assert model.generate(2, seed=0).dtype == np.float32


def test_registry_build_matches_the_builder():
    for name in MODELS:
        assert callable(zoo.get_builder(name))
        assert _spec(name).task in ("classification", "sequence", "generative")


# -- training ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", MODELS)
def test_one_fit_step_and_every_gradient_is_finite(name):
    model = _build_small(name)
    x, y, loss = _data(name, model)
    _compile(model, name, loss)
    if y is not None:
        with tf.GradientTape() as tape:
            predictions = model(x, training=True)
            value = model.compute_loss(x=x, y=y, y_pred=predictions)
        gradients = tape.gradient(value, model.trainable_variables)
        assert model.trainable_variables
        for variable, gradient in zip(model.trainable_variables, gradients):
            assert gradient is not None, f"{name}: no gradient for {variable.path}"
            assert np.all(np.isfinite(gradient)), f"{name}: non-finite gradient for {variable.path}"
    before = _snapshot(model)
    _fit_once(model, name, x, y)
    changed = [not np.array_equal(old, new) for old, new in zip(before, _snapshot(model))]
    assert any(changed), f"{name}: no weight changed in one fit step"
    if y is not None:
        # Adam moves every parameter that has a non-zero gradient.
        assert sum(changed) >= len(changed) // 2


def _rename_registered_objects(path, old, new):
    """Rewrites the `.keras` file at `path` with every registered name `old>X` renamed `new>X`.

    Returns:
        How many names it renamed.
    """
    with zipfile.ZipFile(path) as archive:
        contents = {item: archive.read(item) for item in archive.namelist()}
    config, renamed = re.subn(
        rf'"registered_name": "{old}>',
        f'"registered_name": "{new}>',
        contents["config.json"].decode(),
    )
    contents["config.json"] = config.encode()
    with zipfile.ZipFile(path, "w") as archive:
        for item, data in contents.items():
            archive.writestr(item, data)
    return renamed


@pytest.mark.parametrize("name", MODELS)
def test_keras_file_round_trip_gives_identical_predictions(name, tmp_path):
    """Saved, then loaded as version 0.1 wrote the file: our objects under their `zoo>` names.

    (`test_dcgan.py`, `test_vae.py` and `test_layers.py` load files with the current names.)
    """
    model = _build_small(name)
    x, _, _ = _data(name, model)
    expected = keras.ops.convert_to_numpy(model(x, training=False))
    path = tmp_path / f"{name}.keras"
    model.save(path)
    renamed = _rename_registered_objects(path, "zoo_diagnostics", "zoo")
    assert (renamed > 0) == (_spec(name).task == "generative")
    restored = keras.saving.load_model(path)
    assert type(restored) is type(model)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(restored(x, training=False)), expected, rtol=1e-6, atol=1e-6
    )
    assert [layer.name for layer in restored.layers] == [layer.name for layer in model.layers]


def _train_under(strategy, name):
    with strategy.scope():
        model = _build_small(name)
        x, y, loss = _data(name, model)
        _compile(model, name, loss)
    before = _snapshot(model)
    _fit_once(model, name, x, y)
    assert any(not np.array_equal(old, new) for old, new in zip(before, _snapshot(model)))


def test_trains_under_mirrored_strategy(mirrored_strategy):
    assert mirrored_strategy.num_replicas_in_sync == 2
    _train_under(mirrored_strategy, "mlp")


@pytest.mark.slow
@pytest.mark.parametrize("name", [name for name in MODELS if name != "mlp"])
def test_every_builder_trains_under_mirrored_strategy(name, mirrored_strategy):
    _train_under(mirrored_strategy, name)


# -- bad arguments -----------------------------------------------------------------------------

OUR_ERRORS = (ArgumentValueError, ArgumentTypeError)


def _assert_our_refusal(name, kwargs, error):
    """`error` is ours, and names an argument of the builder and the value it was passed.

    Returns:
        The argument it names.
    """
    assert isinstance(error, OUR_ERRORS), f"{name}({kwargs}): not our error: {error!r}"
    given = {**_defaults(name), **kwargs}
    assert error.argument in given, f"{name}: the error names no argument: {error}"
    message = str(error)
    assert f"`{error.argument}`" in message, message
    assert message.endswith(f"Received: {error.argument}={given[error.argument]!r}"), message
    return error.argument


class _Opaque:
    def __repr__(self):
        return "<opaque>"


def _bad_values(parameter, default):
    """Values that every builder must refuse for `parameter`, given its default."""
    values = [_Opaque()]
    if isinstance(default, bool):
        values += ["yes"]
    elif isinstance(default, int):
        values += [-1, 2.5]
    elif isinstance(default, float):
        values += [-1.0, "x", float("nan")]
    elif isinstance(default, tuple):
        values += [(-1,) + default[1:], ("a",), "abc"]
    elif isinstance(default, str) and parameter != "name":
        values += ["no_such_thing"]
    if "initializer" in parameter:
        values += ["no_such_initializer"]
    if parameter in ("activation", "normalization"):
        values += ["no_such_" + parameter]
    return values


@pytest.mark.parametrize("name", MODELS)
def test_bad_values_of_every_argument_raise_our_errors_that_name_them(name):
    checked = 0
    for parameter, default in _defaults(name).items():
        default = _spec(name).small_kwargs.get(parameter, default)
        for value in _bad_values(parameter, default):
            kwargs = {**_spec(name).small_kwargs, parameter: value}
            with pytest.raises(OUR_ERRORS) as info:
                zoo.get_builder(name)(**kwargs)
            assert _assert_our_refusal(name, kwargs, info.value) == parameter
            checked += 1
    assert checked >= len(_defaults(name))


# Values that only some builders refuse, and combinations of arguments, with the argument that
# the error must name.
BAD_ARGUMENTS = {
    "mlp": [
        ({"hidden_units": (8, 0)}, "hidden_units"),
        ({"hidden_units": [8, "8"]}, "hidden_units"),
        ({"activation": "relu6x"}, "activation"),
        ({"activation": "threshold"}, "activation"),  # needs a threshold argument
        ({"activation": keras.activations.relu}, "activation"),
        ({"kernel_initializer": "glorot"}, "kernel_initializer"),
        ({"kernel_initializer": 3}, "kernel_initializer"),
        ({"normalization": "group"}, "normalization"),
        ({"dropout": 1.0}, "dropout"),
        ({"residual": 1}, "residual"),
        ({"num_classes": 0}, "num_classes"),
        ({"classifier_activation": "prelu"}, "classifier_activation"),
        ({"input_shape": (0,)}, "input_shape"),
        ({"name": "a/b"}, "name"),
    ],
    "cnn": [
        ({"input_shape": (8, 8)}, "input_shape"),
        ({"input_shape": (2, 2, 1), "filters": (4, 4)}, "input_shape"),
        ({"input_shape": [5000, 5000, 1]}, "input_shape"),
        ({"filters": (4, -8)}, "filters"),
        ({"kernel_size": 0}, "kernel_size"),
        ({"pool": "min"}, "pool"),
        ({"dense_units": "64"}, "dense_units"),
    ],
    "lenet": [
        ({"input_shape": (3, 3, 1)}, "input_shape"),
        ({"pool": None}, "pool"),
    ],
    "resnet": [
        ({"depth": 21}, "depth"),
        ({"depth": 20, "blocks": (1, 1)}, "blocks"),
        ({"blocks": ()}, "blocks"),
        ({"width": 0}, "width"),
        ({"activation": "maxout"}, "activation"),
        ({"input_shape": (2, 2, 3), "blocks": (1, 1, 1)}, "input_shape"),
        ({"kernel_initializer": "he"}, "kernel_initializer"),
    ],
    "lstm": [
        ({"input_shape": (5,)}, "input_shape"),
        ({"input_shape": (0, 3)}, "input_shape"),
        ({"input_shape": (5, None)}, "input_shape"),
        ({"units": ()}, "units"),
        ({"num_classes": 3, "output_units": 2}, "output_units"),
        ({"output_units": 0}, "output_units"),
        ({"return_sequences": None}, "return_sequences"),
        ({"activation": "maxout"}, "activation"),
        ({"activation": "glu"}, "activation"),
        ({"recurrent_dropout": 1.5}, "recurrent_dropout"),
        ({"num_classes": None, "classifier_activation": "sigmoid"}, "classifier_activation"),
    ],
    "dcgan": [
        ({"input_shape": (8, 8)}, "input_shape"),
        ({"input_shape": (8, 16, 1)}, "input_shape"),
        ({"input_shape": (10, 10, 1)}, "input_shape"),
        ({"input_shape": (4, 4, 1)}, "input_shape"),
        ({"input_shape": (128, 128, 3)}, "input_shape"),
        ({"input_shape": (8, 8, 32)}, "input_shape"),
        ({"input_shape": "8x8"}, "input_shape"),
        ({"latent_dim": 2.5}, "latent_dim"),
        ({"dropout": 1.0}, "dropout"),
        ({"generator_loss": "wasserstein"}, "generator_loss"),
        ({"label_smoothing": -0.1}, "label_smoothing"),
    ],
    "vae": [
        ({"input_shape": (8, 0, 1)}, "input_shape"),
        ({"input_shape": (2, 2, 2, 2)}, "input_shape"),
        ({"input_shape": (64,), "architecture": "conv"}, "input_shape"),
        ({"input_shape": (12, 12, 1), "architecture": "conv", "filters": (4, 4, 4)}, "input_shape"),
        ({"input_shape": (18, 18, 1), "filters": (4, 4)}, "input_shape"),  # "auto" picks conv
        ({"architecture": "conv", "filters": ()}, "filters"),
        ({"architecture": "recurrent"}, "architecture"),
        ({"hidden_units": 64}, "hidden_units"),
        ({"hidden_units": (64, 0)}, "hidden_units"),
        ({"activation": 3}, "activation"),
        ({"beta": -1.0}, "beta"),
        ({"reconstruction": "poisson"}, "reconstruction"),
        ({"seed": -1}, "seed"),
    ],
}


@pytest.mark.parametrize("name", sorted(BAD_ARGUMENTS))
def test_builder_specific_bad_arguments_raise_our_errors_that_name_them(name):
    for overrides, argument in BAD_ARGUMENTS[name]:
        kwargs = {**_spec(name).small_kwargs, **overrides}
        with pytest.raises(OUR_ERRORS) as info:
            zoo.get_builder(name)(**kwargs)
        assert _assert_our_refusal(name, kwargs, info.value) == argument, overrides


def test_unknown_keyword_is_refused():
    for name in MODELS:
        with pytest.raises(TypeError, match="no_such_argument"):
            _build_small(name, no_such_argument=1)


def test_classifier_builders_take_input_shape_and_num_classes():
    classifiers = zoo.list_models(classifiers=True)
    assert set(classifiers) == {name for name in MODELS if _spec(name).task != "generative"}
    for name in MODELS:
        parameters = _defaults(name)
        assert "input_shape" in parameters, name
        assert ("num_classes" in parameters) == (name in classifiers), name


# -- property-based: random argument sets ------------------------------------------------------

_NAMES = st.sampled_from(
    ["relu", "tanh", "sigmoid", "maxout", "prelu", "glu", "leaky_relu", "threshold", "batch",
     "layer", "max", "average", "he_normal", "orthogonal", "identity", "zeros", "softmax",
     "non_saturating", "dense", "conv", "auto", "gaussian", "nope", "", "a/b"]
)
_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-2, 6),
    st.floats(-1.0, 2.0) | st.sampled_from([float("nan"), float("inf")]),
    _NAMES,
    st.text(max_size=3),
    st.lists(st.integers(-1, 6), max_size=3).map(tuple),
    st.lists(st.one_of(st.integers(1, 6), st.none(), _NAMES), max_size=3),
)


def _values_like(value):
    """Values of the kind of `value` (most valid, some just outside the range), or anything."""
    if isinstance(value, bool):
        like = st.booleans()
    elif isinstance(value, int):
        like = st.integers(-2, 6)
    elif isinstance(value, float):
        like = st.floats(-1.0, 2.0)
    elif isinstance(value, tuple):
        like = st.lists(st.integers(-1, 6), min_size=1, max_size=len(value) + 1).map(tuple)
    elif isinstance(value, str):
        like = _NAMES
    else:
        return _VALUES
    return st.one_of(like, _VALUES)


def _random_kwargs(name):
    """Up to 4 arguments of builder `name`, each replaced by a random value."""
    base = {**_defaults(name), **_spec(name).small_kwargs}
    return st.lists(st.sampled_from(sorted(base)), max_size=4, unique=True).flatmap(
        lambda keys: st.fixed_dictionaries({key: _values_like(base[key]) for key in keys})
    )


def _build_or_refuse(name, overrides):
    """Builds with random arguments: a model, or our error naming an argument and its value."""
    kwargs = {**_spec(name).small_kwargs, **overrides}
    try:
        model = zoo.get_builder(name)(**kwargs)
    except OUR_ERRORS as error:  # Any other error fails the test.
        _assert_our_refusal(name, kwargs, error)
        return
    assert isinstance(model, keras.Model)


# A few draws over all builders here; the slow tier draws 12 per builder (`test_random_arguments_per_builder`).
@hypothesis.settings(max_examples=5, deadline=None, database=None)
@hypothesis.given(data=st.data())
def test_random_arguments_build_or_raise_our_errors(data):
    name = data.draw(st.sampled_from(MODELS), label="model")
    _build_or_refuse(name, data.draw(_random_kwargs(name), label="kwargs"))
    keras.utils.clear_session(free_memory=False)


@pytest.mark.slow
@pytest.mark.parametrize("name", MODELS)
def test_random_arguments_per_builder(name):
    @hypothesis.settings(max_examples=12, deadline=None, database=None)
    @hypothesis.given(overrides=_random_kwargs(name))
    def check(overrides):
        _build_or_refuse(name, overrides)
        keras.utils.clear_session(free_memory=False)

    check()
