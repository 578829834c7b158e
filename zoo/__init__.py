"""The model zoo: builders for the classic networks, with every knob the classic problems depend on.

Example:

>>> import zoo
>>> zoo.list_models()[:3]
['cnn', 'dcgan', 'gru']
>>> model = zoo.build_mlp(input_shape=(64,), num_classes=10, hidden_units=(32, 32))
"""

from zoo.registry import ModelSpec, build, get_builder, get_spec, list_models, register_model

# Model families register themselves on import. One line per family module (owners add theirs).
# -- model imports --
from zoo.models.perceptron import build_perceptron  # noqa: E402
from zoo.models.mlp import build_mlp  # noqa: E402
from zoo.models.cnn import build_cnn, build_lenet  # noqa: E402
from zoo.models.resnet import build_resnet  # noqa: E402
from zoo.models.recurrent import build_gru, build_lstm, build_rnn  # noqa: E402
from zoo.models.dcgan import DCGAN, build_dcgan  # noqa: E402
from zoo.models.vae import VAE, build_vae  # noqa: E402

# The subpackages, so that `import zoo` is enough for `zoo.data.SMOTE`, `zoo.optimizers.RAdam`
# (and the optimizers' short names in `compile`), `zoo.losses` and `zoo.datasets`.
from zoo import data, datasets, losses, optimizers  # noqa: E402

__all__ = ["ModelSpec", "build", "get_builder", "get_spec", "list_models", "register_model", "DCGAN", "build_dcgan", "VAE", "build_vae",
           "build_perceptron", "build_mlp", "build_cnn", "build_lenet", "build_resnet", "build_rnn",
           "build_lstm", "build_gru"]
