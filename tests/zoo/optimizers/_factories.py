"""One small configuration of every optimizer, and a descent loop, shared by the optimizer tests."""

import keras
import numpy as np
import tensorflow as tf

from zoo.optimizers import LARS, SWA, AdaBelief, AdaptiveClipping, Lookahead, PerturbedSGD, RAdam, Yogi

# name -> factory; keyword arguments go to the (inner) optimizer's rate where it has one.
OPTIMIZERS = {
    "radam": lambda: RAdam(0.05),
    "yogi": lambda: Yogi(0.02),
    "adabelief": lambda: AdaBelief(0.01),
    "lars": lambda: LARS(0.1, trust_coefficient=0.05),
    "perturbed_sgd": lambda: PerturbedSGD(0.05, gradient_threshold=1e-3),
    "adaptive_clipping": lambda: AdaptiveClipping(keras.optimizers.SGD(0.05, momentum=0.5), clip_factor=0.1),
    "lookahead": lambda: Lookahead(keras.optimizers.Adam(0.05), sync_period=3),
    "swa": lambda: SWA(keras.optimizers.SGD(0.05), average_period=2),
}


def minimise(optimizer, loss, start, steps=400):
    """Runs `steps` updates of `optimizer` on `loss(w)` from `start` in one tf.function; returns w."""
    w = keras.Variable(np.asarray(start, "float32"))
    optimizer.build([w])

    @tf.function
    def descend():
        for _ in tf.range(steps):
            with tf.GradientTape() as tape:
                value = loss(w.value)
            optimizer.apply([tape.gradient(value, w.value)], [w])

    descend()
    return w.numpy()
