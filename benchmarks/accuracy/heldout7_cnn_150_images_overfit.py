"""Held out (seventh split): a small CNN trained for many epochs on 150 digit images.

The fault. A user trains a small CNN (two `Conv2D(32, 3, "relu")` layers and a `Dense(128)`
hidden layer, about 270,000 weights) on only 150 labelled digit images, validating on 449
others, for 80 epochs with no regularization. The model has far more weights than examples: it
fits the 150 images exactly, its training loss goes to almost zero and its confidence on the
validation images it gets wrong keeps growing, so the validation loss turns and rises. The run
must show the validation loss ending more than 10% above its minimum while the training loss
sits below that minimum.

Expected: `overfitting` (the model memorizes its 150 images).
Acceptable: none (the fault has no other mechanism).

The healthy twin is the same with the fix the user posts,
`keras.callbacks.EarlyStopping(patience=3, restore_best_weights=True)` (on `val_loss`). It
must train well and end with the weights of its best validation epoch.
"""

import keras
from keras import layers, optimizers

from benchmarks.accuracy import data, measure
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 80
LEARNING_RATE = 1e-3
TRAINING_IMAGES = 150
PATIENCE = 3
# The restored weights' validation loss equals the best epoch's up to float rounding
# (one call on the whole set against History's mean over batches).
RESTORED_TOLERANCE = 1e-3


def _run(early_stopping, seed):
    (x, y), val = data.digits(seed, image=True, n_train=TRAINING_IMAGES)
    model = keras.Sequential([keras.Input((8, 8, 1)),
                              layers.Conv2D(32, 3, padding="same", activation="relu"),
                              layers.Conv2D(32, 3, padding="same", activation="relu"),
                              layers.Flatten(), layers.Dense(128, activation="relu"),
                              layers.Dense(10, activation="softmax")])
    callbacks = ((keras.callbacks.EarlyStopping(patience=PATIENCE, restore_best_weights=True),)
                 if early_stopping else ())
    return Run(model, optimizers.Adam(LEARNING_RATE), "sparse_categorical_crossentropy", x, y,
               epochs=EPOCHS, validation_data=val, callbacks=callbacks)


def ends_at_best_validation(trained):
    """The model's validation loss at the end equals the best epoch's (restored weights)."""
    x_val, y_val = trained.run.validation_data
    final = float(measure.loss_function(trained.run)(y_val, trained.run.model(x_val)))
    best = min(trained.history["val_loss"])
    return abs(final - best) <= RESTORED_TOLERANCE * best, \
        f"validation loss of the final weights {final:.4f}, best epoch {best:.4f}"


@scenario("cnn", expected=("overfitting",), heldout=True, verify=measure.overfits())
def heldout7_cnn_150_images_80_epochs_no_regularization(seed):
    return _run(False, seed)


@scenario("cnn", heldout=True, verify=measure.all_of(measure.trains_well(), ends_at_best_validation))
def heldout7_healthy_cnn_150_images_early_stopping(seed):
    return _run(True, seed)
