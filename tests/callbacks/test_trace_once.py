"""The instrumented training step is traced once: the optimizer is built before the first trace,
and the instrumentation's variables are not lifted (`callbacks._trace_once`)."""

import numpy as np

import keras
from callbacks import TrainingDiagnostics
from callbacks._trace_once import build_optimizer_before_trace


def _mlp():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(3)])
    model.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def _data():
    rng = np.random.default_rng(0)
    return rng.normal(size=(64, 8)).astype("float32"), rng.integers(0, 3, 64)


def _count_traces(model):
    """A list that gets one entry each time the model's `train_step` body runs (is traced)."""
    traces, original = [], model.train_step

    def train_step(data):
        traces.append(1)
        return original(data)

    model.__dict__["train_step"] = train_step  # on the instance, as the probe patches it
    return traces


def test_the_instrumented_step_is_traced_once_where_keras_traces_a_plain_one_twice():
    x, y = _data()
    counts = []
    for callbacks in ([], [TrainingDiagnostics(verbose=0)]):
        model = _mlp()
        traces = _count_traces(model)
        model.fit(x[:48], y[:48], validation_data=(x[48:], y[48:]), batch_size=16, epochs=2, verbose=0,
                  callbacks=callbacks)
        counts.append(len(traces))
    # Keras builds the optimizer in the first trace of a plain step, which makes tf.function trace again.
    assert counts == [2, 1]


def test_the_optimizer_is_built_as_its_first_step_would_build_it():
    x, y = _data()
    trained = _mlp()
    trained.fit(x[:16], y[:16], batch_size=16, epochs=1, verbose=0)
    model = _mlp()
    assert build_optimizer_before_trace(model) is True
    assert model.optimizer.built
    assert [tuple(v.shape) for v in model.optimizer.variables] == [tuple(v.shape) for v in trained.optimizer.variables]
    assert build_optimizer_before_trace(model) is False  # built already


def test_a_custom_train_step_or_an_unbuilt_model_keeps_keras_own_build():
    class OwnStep(keras.Sequential):
        def train_step(self, data):
            return super().train_step(data)

    custom = OwnStep([keras.Input((8,)), keras.layers.Dense(3)])
    custom.compile("adam", "mse")
    unbuilt = keras.Sequential([keras.layers.Dense(3)])
    unbuilt.compile("adam", "mse")
    for model in (custom, unbuilt):
        assert build_optimizer_before_trace(model) is False
        assert not model.optimizer.built
