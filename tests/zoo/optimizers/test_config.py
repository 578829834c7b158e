"""Every constructor argument of every optimizer is saved by `get_config`, with the value given,
and comes back from `from_config`: the constructor's signature is the reference."""

import inspect

import keras
import pytest

from zoo.optimizers import LARS, SWA, AdaBelief, AdaptiveClipping, Lookahead, PerturbedSGD, RAdam, Yogi

# Every argument of each constructor, each away from its default, so that a value that is not
# saved (and comes back as the default) or is saved under another argument's name shows.
NON_DEFAULT = {
    RAdam: dict(learning_rate=0.02, beta_1=0.8, beta_2=0.99, epsilon=1e-6, rectification_threshold=4.0,
                gradient_centralization=True, name="r"),
    Yogi: dict(learning_rate=0.02, beta_1=0.8, beta_2=0.99, epsilon=1e-4, initial_accumulator_value=1e-5,
               bias_correction=False, gradient_centralization=True, name="y"),
    AdaBelief: dict(learning_rate=0.02, beta_1=0.8, beta_2=0.99, epsilon=1e-12, gradient_centralization=True,
                    name="a"),
    LARS: dict(learning_rate=0.5, momentum=0.8, trust_coefficient=0.002, weight_decay_rate=1e-4, epsilon=1e-9,
               exclude_vectors=True, gradient_centralization=True, name="l"),
    PerturbedSGD: dict(learning_rate=0.02, gradient_threshold=1e-4, perturbation_radius=0.02,
                       perturbation_interval=7, seed=3, gradient_centralization=True, name="p"),
    AdaptiveClipping: dict(clip_factor=0.02, epsilon=1e-4, exclude=["bias"], name="c"),
    Lookahead: dict(sync_period=3, slow_step_size=0.25, name="k"),
    SWA: dict(start_averaging=2, average_period=4, swap_on_end=False, name="s"),
}


def _own_arguments(cls):
    """The constructor's named arguments, without the wrapped optimizer."""
    parameters = inspect.signature(cls.__init__).parameters.values()
    return [p.name for p in parameters if p.name not in ("self", "optimizer") and p.kind is not p.VAR_KEYWORD]


@pytest.mark.parametrize("cls", list(NON_DEFAULT), ids=lambda cls: cls.__name__)
def test_get_config_saves_every_constructor_argument_and_from_config_restores_it(cls):
    arguments = NON_DEFAULT[cls]
    assert sorted(arguments) == sorted(_own_arguments(cls))
    defaults = {name: p.default for name, p in inspect.signature(cls.__init__).parameters.items()}
    assert all(arguments[name] != defaults[name] for name in arguments)
    wrapped = {"optimizer": keras.optimizers.SGD(0.03)} if "optimizer" in defaults else {}

    config = cls(**wrapped, **arguments).get_config()

    for name, value in arguments.items():
        expected = pytest.approx(value) if isinstance(value, float) else value  # float32 rates
        assert config[name] == expected, name
    clone = cls.from_config(config)
    assert clone.get_config() == config
    if wrapped:
        assert clone.inner_optimizer.get_config()["learning_rate"] == pytest.approx(0.03)
