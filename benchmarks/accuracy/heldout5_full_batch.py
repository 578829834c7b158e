"""Held out (fifth split): full-batch training with plain SGD at learning rate 0.01.

The fault. A user trains a ReLU MLP on the digits with `batch_size=len(x)` ("the whole dataset
fits in memory, so why not") and `SGD(learning_rate=0.01)`, for 30 epochs, as many as with
mini-batches. One batch per epoch is one update per epoch: 30 updates of size 0.01 in all,
against the twin's 1,290, so the weights barely leave their start and the model underfits. The
run must show one update per epoch and a training loss that ends above half of chance.

Expected: `underfitting` (the model has not fit the data: far too little training for the step
size) or `suspicious_config` (the cause is the setup: a full-dataset batch with a small plain-SGD
step leaves the run with a handful of updates). Acceptable: `plateau` (a loss that falls this
slowly can read as flat from epoch to epoch).

The healthy twin uses `batch_size=32` (the fix). It must train well.
"""

from keras import optimizers

from benchmarks.accuracy import data, measure, models
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 30
LEARNING_RATE = 0.01
FEW_UPDATES_SIDE_EFFECTS = ("plateau",)


def _run(full_batch, seed):
    (x, y), val = data.digits(seed)
    model = models.dense_stack(64, [64, 64], "relu")
    return Run(model, optimizers.SGD(LEARNING_RATE), "sparse_categorical_crossentropy", x, y,
               epochs=EPOCHS, batch_size=len(x) if full_batch else 32, validation_data=val)


def one_update_per_epoch(trained):
    """The optimizer applied one update per epoch, and the training loss ends above half of
    chance."""
    run = trained.run
    updates = int(run.optimizer.iterations.numpy())
    fails, note = measure.fails_to_learn()(trained)
    return updates == run.epochs and fails, f"{updates} updates in {run.epochs} epochs; {note}"


@scenario("mlp", expected=("underfitting", "suspicious_config"), acceptable=FEW_UPDATES_SIDE_EFFECTS,
          heldout=True, verify=one_update_per_epoch)
def heldout5_mlp_full_batch_sgd_lr_0_01(seed):
    return _run(True, seed)


@scenario("mlp", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout5_healthy_mlp_batch_32_sgd_lr_0_01(seed):
    return _run(False, seed)
