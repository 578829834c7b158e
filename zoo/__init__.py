"""The model zoo: builders for the classic networks, with every knob the classic problems depend on.

Example:

>>> import zoo
>>> zoo.list_models()[:3]
>>> model = zoo.build_mlp(input_shape=(64,), num_classes=10, hidden_units=(32, 32))
"""

from zoo.registry import build, get_builder, list_models, register_model

__all__ = ["build", "get_builder", "list_models", "register_model"]
