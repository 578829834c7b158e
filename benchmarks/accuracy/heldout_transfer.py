"""Held out: transfer learning, the BatchNormalization-unfreeze pitfall, and its fix.

The fault. A user pretrains (here: in-process, on the digits 0-4) a small convolutional base that
holds BatchNormalization layers, then fine-tunes it on new classes (the digits 5-9). To fine-tune
"everything" they set `base.trainable = True` and call `base(inputs)` without `training=False`.
In Keras that puts the BatchNormalization layers back in training mode: every fine-tuning batch
normalizes with its own statistics and overwrites the moving mean and variance that the
pretrained filters were calibrated for, while the whole base moves at a learning rate meant for a
fresh head. The run must show the pretrained base's normalization statistics moving away from
their pretrained values (measured on the layer's weights). Expected: `suspicious_config` (a base
whose BatchNormalization layers train again).

The healthy twin is the fix: the BatchNormalization layers themselves stay frozen
(`layer.trainable = False` puts a Keras 3 BatchNormalization layer in inference mode) while the
convolutions fine-tune at a small learning rate. It must train well and keep the pretrained
statistics. (Calling the base with `training=False`, the guide's other half, is not enough here:
in Keras 3.15 a nested functional base receives the outer `fit`'s `training=True`, measured.)
"""

import keras
import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import data, measure
from benchmarks.accuracy.scenario import Run, scenario

SPARSE_CE = "sparse_categorical_crossentropy"
PRETRAIN_EPOCHS = 4
# The moving statistics "moved" when they change by more than this share of their pretrained size.
MOVED_SHARE = 0.1
HEALTHY = measure.all_of(measure.trains_well(), measure.generalizes())


def _pretrained_base(x, y):
    """A conv base with two BatchNormalization layers, pretrained on digits 0-4 (not diagnosed)."""
    inputs = keras.Input((8, 8, 1))
    tensor = inputs
    for filters in (16, 32):
        tensor = layers.Conv2D(filters, 3, padding="same", use_bias=False)(tensor)
        tensor = layers.BatchNormalization()(tensor)
        tensor = layers.Activation("relu")(tensor)
    base = keras.Model(inputs, layers.GlobalAveragePooling2D()(tensor), name="pretrained_base")
    first = y < 5
    pretrain = keras.Sequential([base, layers.Dense(5, activation="softmax")])
    pretrain.compile(optimizer=optimizers.Adam(3e-3), loss=SPARSE_CE)
    pretrain.fit(x[first], y[first], epochs=PRETRAIN_EPOCHS, batch_size=32, verbose=0)
    return base


def _new_classes(seed):
    """Digit images split by seed; the fine-tuning task is the digits 5-9 as classes 0-4."""
    (x, y), (x_val, y_val) = data.digits(seed, image=True)
    second, second_val = y >= 5, y_val >= 5
    return (x, y), (x[second], y[second] - 5), (x_val[second_val], y_val[second_val] - 5)


def _batch_norm_statistics(model):
    """Positions in `model.weights` of the moving means and variances of every
    BatchNormalization layer inside `model` (`Trained.initial_weights` holds their start)."""
    return [i for i, w in enumerate(model.weights) if "moving_" in w.path]


def statistics_moved(moved=True):
    """The base's BatchNormalization moving statistics changed by more than `MOVED_SHARE` of
    their pretrained size (`moved=False`: stayed within it)."""
    def verify(trained):
        model = trained.run.model
        indices = _batch_norm_statistics(model)
        now = [np.asarray(model.weights[i]) for i in indices]
        before = [trained.initial_weights[i] for i in indices]
        change = max(float(np.linalg.norm(a - b) / (np.linalg.norm(b) + 1e-12)) for a, b in zip(now, before))
        return (change > MOVED_SHARE) == moved, f"largest relative change of a moving statistic {change:.2f}"
    return verify


@scenario("transfer", expected=("suspicious_config",), acceptable=("overfitting",), heldout=True,
          verify=statistics_moved())
def heldout_transfer_unfrozen_batchnorm_in_training_mode(seed):
    (x, y), (x_new, y_new), (x_val, y_val) = _new_classes(seed)
    base = _pretrained_base(x, y)
    base.trainable = True  # the pitfall: BatchNormalization goes back to training mode
    inputs = keras.Input((8, 8, 1))
    model = keras.Model(inputs, layers.Dense(5, activation="softmax")(base(inputs)))
    return Run(model, optimizers.Adam(1e-2), SPARSE_CE, x_new, y_new, epochs=6, batch_size=8,
               validation_data=(x_val, y_val))


@scenario("transfer", heldout=True, verify=measure.all_of(HEALTHY, statistics_moved(False)))
def heldout_healthy_transfer_batchnorm_in_inference_mode(seed):
    (x, y), (x_new, y_new), (x_val, y_val) = _new_classes(seed)
    base = _pretrained_base(x, y)
    base.trainable = True
    for layer in base.layers:
        if isinstance(layer, layers.BatchNormalization):
            layer.trainable = False  # the fix: inference mode, statistics frozen
    inputs = keras.Input((8, 8, 1))
    model = keras.Model(inputs, layers.Dense(5, activation="softmax")(base(inputs, training=False)))
    return Run(model, optimizers.Adam(1e-2), SPARSE_CE, x_new, y_new, epochs=6, batch_size=8,
               validation_data=(x_val, y_val))
