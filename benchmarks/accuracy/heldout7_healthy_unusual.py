"""Held out (seventh split): three healthy runs that look unusual, by design.

None has a fault (`expected` is empty) and each must train well; each shows a signal that a
naive reading takes for a problem:

- label smoothing of 0.2 on digits: the targets are 0.82 for the true class and 0.02 for the
  others, so the cross-entropy cannot fall below their entropy, about 0.87 nats (0.38 of the
  chance loss), even at high accuracy: the loss floor sits well above zero;
- `Dropout(0.5)` after every hidden layer of a relu MLP: the training loss is measured with
  half the units dropped and the validation loss with all of them, so the training loss stays
  above the validation loss all run long;
- a CNN whose learning rate warms up linearly from 0 over the first epoch and then follows a
  cosine decay (`keras.optimizers.schedules.CosineDecay(..., warmup_target=...,
  warmup_steps=...)`): the loss moves little at first, then falls.

Each must show a validation accuracy of at least 0.9, and the dropout run a training loss above
its validation loss at most epochs.
"""

import keras
import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import data, measure, models
from benchmarks.accuracy.scenario import Run, scenario

# Digits models reach about 0.95-0.98 validation accuracy; 0.9 is "trains well" for these runs.
GOOD_ACCURACY = 0.9
LABEL_SMOOTHING = 0.2
DROPOUT = 0.5
# Training loss above validation loss in at least this share of the epochs.
DROPOUT_GAP_SHARE = 0.8
WARMUP_TARGET = 2e-3


def accurate(trained):
    """The last epoch's validation accuracy is at least `GOOD_ACCURACY`."""
    accuracy = trained.history["val_accuracy"][-1]
    return accuracy >= GOOD_ACCURACY, f"validation accuracy {accuracy:.3f}"


def loss_floor_above_zero(trained):
    """The final training loss is above the smoothed targets' entropy minus a little."""
    share = LABEL_SMOOTHING / 10
    targets = np.array([1 - LABEL_SMOOTHING + share] + [share] * 9)
    floor = float(-(targets * np.log(targets)).sum())
    last = trained.history["loss"][-1]
    return last > 0.9 * floor, f"final loss {last:.3f}, entropy floor {floor:.3f}"


def training_above_validation(trained):
    """The training loss is above the validation loss in `DROPOUT_GAP_SHARE` of the epochs."""
    train, val = np.asarray(trained.history["loss"]), np.asarray(trained.history["val_loss"])
    share = float(np.mean(train > val))
    return share >= DROPOUT_GAP_SHARE, f"epochs with training loss above validation {share:.2f}"


@scenario("mlp", heldout=True, verify=measure.all_of(accurate, loss_floor_above_zero))
def heldout7_healthy_mlp_label_smoothing_0_2(seed):
    (x, y), (x_val, y_val) = data.digits(seed)
    model = models.dense_stack(64, [64, 64], "relu")
    loss = keras.losses.CategoricalCrossentropy(label_smoothing=LABEL_SMOOTHING)
    return Run(model, optimizers.Adam(1e-3), loss, x, keras.utils.to_categorical(y, 10),
               epochs=15, validation_data=(x_val, keras.utils.to_categorical(y_val, 10)),
               metrics=("accuracy",))


@scenario("mlp", heldout=True, verify=measure.all_of(accurate, training_above_validation))
def heldout7_healthy_mlp_dropout_0_5_every_hidden_layer(seed):
    (x, y), val = data.digits(seed)
    hidden = []
    for _ in range(3):
        hidden += [layers.Dense(128, activation="relu"), layers.Dropout(DROPOUT)]
    model = keras.Sequential([keras.Input((64,)), *hidden, layers.Dense(10, activation="softmax")])
    return Run(model, optimizers.Adam(1e-3), "sparse_categorical_crossentropy", x, y,
               epochs=20, validation_data=val, metrics=("accuracy",))


@scenario("cnn", heldout=True, verify=accurate)
def heldout7_healthy_cnn_warmup_cosine_decay(seed):
    (x, y), val = data.digits(seed, image=True)
    epochs, batch_size = 10, 32
    steps_per_epoch = -(-len(x) // batch_size)
    schedule = optimizers.schedules.CosineDecay(
        initial_learning_rate=0.0, decay_steps=(epochs - 1) * steps_per_epoch,
        warmup_target=WARMUP_TARGET, warmup_steps=steps_per_epoch)
    model = keras.Sequential([keras.Input((8, 8, 1)),
                              layers.Conv2D(16, 3, padding="same", activation="relu"),
                              layers.Conv2D(32, 3, padding="same", activation="relu"),
                              layers.MaxPooling2D(), layers.Flatten(),
                              layers.Dense(64, activation="relu"),
                              layers.Dense(10, activation="softmax")])
    return Run(model, optimizers.Adam(schedule), "sparse_categorical_crossentropy", x, y,
               epochs=epochs, batch_size=batch_size, validation_data=val, metrics=("accuracy",))
