"""The model zoo: builders for the classic networks, with every knob the classic problems depend on.

Classifier builders take `input_shape=` and `num_classes=` and return an uncompiled
`keras.Model`: `build_perceptron`, `build_mlp`, `build_cnn`, `build_lenet`, `build_resnet`, and
the recurrent `build_rnn`, `build_lstm`, `build_gru` (which build a regression when
`num_classes=None`). `build_dcgan` and `build_vae` are generative: they take no `num_classes` and
return a `DCGAN` or `VAE` that brings its own `compile()`. `list_models(classifiers=True)` lists
the classifier builders' names.

Example:

>>> import zoo
>>> zoo.list_models()[:3]
['cnn', 'dcgan', 'gru']
>>> zoo.list_models(classifiers=True)
['cnn', 'gru', 'lenet', 'lstm', 'mlp', 'perceptron', 'resnet', 'rnn']
>>> model = zoo.build_mlp(input_shape=(64,), num_classes=10, hidden_units=(32, 32))
"""

from zoo.registry import ModelSpec, build, get_builder, get_spec, list_models, register_model

# Each model family registers its builders on import.
from zoo.models.perceptron import build_perceptron
from zoo.models.mlp import build_mlp
from zoo.models.cnn import build_cnn, build_lenet
from zoo.models.resnet import build_resnet
from zoo.models.recurrent import build_gru, build_lstm, build_rnn
from zoo.models.dcgan import DCGAN, build_dcgan
from zoo.models.vae import VAE, build_vae

# The subpackages, so that `import zoo` is enough for `zoo.data.SMOTE`, `zoo.optimizers.RAdam`
# (and the optimizers' short names in `compile`), `zoo.losses` and `zoo.datasets`.
from zoo import data, datasets, losses, optimizers

__all__ = [
    "ModelSpec", "build", "get_builder", "get_spec", "list_models", "register_model",
    "build_perceptron", "build_mlp", "build_cnn", "build_lenet", "build_resnet",
    "build_rnn", "build_lstm", "build_gru", "build_dcgan", "build_vae", "DCGAN", "VAE",
    "data", "datasets", "losses", "optimizers",
]
