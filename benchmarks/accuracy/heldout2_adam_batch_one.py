"""Held out (second split): Adam at 1e-2 with one sample per step, and the loss never settles.

The fault. A user trains a small ReLU MLP on 150 digits with `batch_size=1` and `Adam(1e-2)`.
Adam divides each step by the gradient's running scale, so every step moves each weight by about
the learning rate, 1e-2, whatever one sample's gradient says, and one sample's gradient points
somewhere new every step. The loss over the training set jumps at each step by a large share
instead of settling near a minimum. The run must show, replaying 50 single-sample steps of the
same optimizer from the final weights (on a clone), a median jump of the training-set loss of 2%
or more per step, and a loss that wanders over a range of half its median or more during those
steps (a settled run moves by well under 1% per step and a few percent over 50).

Expected: `oscillation`. Acceptable: `suspicious_config` (the batch size and learning rate that
cause it), `underfitting` and `plateau` (a loss held up by the noise), `dead_relu` (steps this
large can push ReLU units below zero for good).

The healthy twin uses `batch_size=64` and `Adam(1e-3)` (the fix), for more epochs: a batch of 64
takes 64 times fewer steps per epoch, and the same epochs would leave it half trained. It must
train well.
"""

import keras
import numpy as np
from keras import optimizers

from benchmarks.accuracy import data, measure, models
from benchmarks.accuracy.scenario import Run, scenario

TRAIN_SAMPLES = 150
EPOCHS = 6
HEALTHY_EPOCHS = 60
REPLAY_STEPS = 50
REPLAY_ROWS = 256
JUMP_SHARE = 0.02  # a settled run changes its training-set loss by well under 1% per step
WANDER_SHARE = 0.5
NOISE_SIDE_EFFECTS = ("suspicious_config", "underfitting", "plateau", "dead_relu")


def _mlp():
    return models.dense_stack(64, [64, 64], "relu")


def replayed_losses(trained):
    """The loss on `REPLAY_ROWS` training rows before and after each of `REPLAY_STEPS`
    single-sample steps of a fresh copy of the run's optimizer, from the final weights (on a
    clone: the user's model is not touched)."""
    run = trained.run
    model = keras.models.clone_model(run.model)
    model.set_weights(run.model.get_weights())
    optimizer = run.optimizer.__class__.from_config(run.optimizer.get_config())
    model.compile(optimizer=optimizer, loss=run.loss)
    rows_x, rows_y = run.x[:REPLAY_ROWS], run.y[:REPLAY_ROWS]
    losses = [model.evaluate(rows_x, rows_y, verbose=0, batch_size=REPLAY_ROWS)]
    for index in range(REPLAY_STEPS):
        model.train_on_batch(run.x[index:index + 1], run.y[index:index + 1])
        losses.append(model.evaluate(rows_x, rows_y, verbose=0, batch_size=REPLAY_ROWS))
    return np.asarray(losses)


def jumps_and_does_not_settle(trained):
    losses = replayed_losses(trained)
    jumps = float(np.median(np.abs(np.diff(losses)) / losses[:-1]))
    wander = float((losses.max() - losses.min()) / np.median(losses))
    holds = jumps >= JUMP_SHARE and wander >= WANDER_SHARE
    return holds, f"median step jump {jumps:.3f}, range over {REPLAY_STEPS} steps / median {wander:.2f}"


@scenario("mlp", expected=("oscillation",), acceptable=NOISE_SIDE_EFFECTS, heldout=True,
          verify=jumps_and_does_not_settle)
def heldout2_mlp_adam_1e2_batch_size_1(seed):
    (x, y), val = data.digits(seed, n_train=TRAIN_SAMPLES)
    return Run(_mlp(), optimizers.Adam(1e-2), "sparse_categorical_crossentropy", x, y,
               epochs=EPOCHS, batch_size=1, validation_data=val)


@scenario("mlp", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout2_healthy_mlp_adam_1e3_batch_size_64(seed):
    (x, y), val = data.digits(seed, n_train=TRAIN_SAMPLES)
    return Run(_mlp(), optimizers.Adam(1e-3), "sparse_categorical_crossentropy", x, y,
               epochs=HEALTHY_EPOCHS, batch_size=64, validation_data=val)
