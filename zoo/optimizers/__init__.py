"""Optimizers that attack the classic training problems, and the ones TensorFlow Addons had.

All are `keras.optimizers.Optimizer` subclasses (or, for `SAM`, a model wrapper), registered for
serialization under the package "zoo_diagnostics" (files saved under the older "zoo" package
still load). Use an instance, or a name in `model.compile`:

- the registered name, always: `optimizer="zoo_diagnostics>RAdam"` (or the older `"zoo>RAdam"`);
- once `zoo.optimizers` is imported, also the short names: `"RAdam"` or `"radam"` (added to
  Keras' public custom-object table with `setdefault`, so names a user already registered win).

The wrappers (`Lookahead`, `SWA`, `AdaptiveClipping`) by name wrap their default optimizer.

Sparse gradients (`Embedding`) are densified, so the published dense rule applies. RAdam, Yogi
and AdaBelief update each variable of 64k elements or more with one XLA-fused kernel (compiled
once per shape at the first step), the smaller ones op by op. Mixed
precision works through Keras' `LossScaleOptimizer` (which `compile` adds under a
"mixed_float16" policy), and `tf.distribute.MirroredStrategy` gives the same weights as one
device (except `AdaptiveClipping`, which clips each replica's gradient, like Keras' `clipnorm`).
After `SWA`, recompute batch-norm statistics with `update_batch_norm_statistics` or the callback
`callbacks.SWABatchNormUpdate`.

Example:

>>> import zoo.optimizers
>>> model.compile(optimizer="radam", loss="mse")                                    # doctest: +SKIP
>>> model.compile(optimizer=zoo.optimizers.Lookahead("adam", sync_period=5), loss="mse")  # doctest: +SKIP
>>> model = zoo.optimizers.SAM(model, rho=0.05)  # sharpness-aware steps in fit     # doctest: +SKIP
"""

import keras

from zoo.optimizers._base import centralize_gradient
from zoo.optimizers.adabelief import AdaBelief
from zoo.optimizers.adaptive_clipping import AdaptiveClipping, adaptive_clip, unitwise_norm
from zoo.optimizers.lars import LARS
from zoo.optimizers.lookahead import Lookahead
from zoo.optimizers.perturbed_sgd import PerturbedSGD
from zoo.optimizers.radam import RAdam
from zoo.optimizers.sam import SAM
from zoo.optimizers.swa import SWA, update_batch_norm_statistics
from zoo.optimizers.yogi import Yogi

# Short names for `model.compile(optimizer=...)` and `keras.optimizers.get`.
SHORT_NAMES = {
    "AdaBelief": AdaBelief, "adabelief": AdaBelief,
    "AdaptiveClipping": AdaptiveClipping, "adaptive_clipping": AdaptiveClipping,
    "LARS": LARS, "lars": LARS,
    "Lookahead": Lookahead, "lookahead": Lookahead,
    "PerturbedSGD": PerturbedSGD, "perturbed_sgd": PerturbedSGD,
    "RAdam": RAdam, "radam": RAdam,
    "SWA": SWA, "swa": SWA,
    "Yogi": Yogi, "yogi": Yogi,
}
for _name, _cls in SHORT_NAMES.items():
    keras.saving.get_custom_objects().setdefault(_name, _cls)

__all__ = [
    "AdaBelief", "AdaptiveClipping", "LARS", "Lookahead", "PerturbedSGD", "RAdam", "SAM", "SWA",
    "Yogi", "adaptive_clip", "centralize_gradient", "unitwise_norm", "update_batch_norm_statistics",
]
