"""Held out (eleventh split): a learning-rate warmup counted in samples instead of steps.

The fault. A user trains a digits MLP (`Dense(64, "relu")`, `Dense(10, "softmax")`) with SGD
on a `CosineDecay` schedule that warms up from 0 to 0.05 over "five epochs" and then decays,
15 epochs in all, batches of 32. They compute the warmup as `5 * len(x_train)`, the number of
samples in five epochs, but a schedule counts optimizer steps, 32 times fewer: the warmup lasts
about 6,700 steps while the whole run takes about 640, so the rate never gets past a tenth of
its target and averages under 0.003. The loss creeps down from chance and the run ends far from
what the model reaches. The run must show a learning rate at the last step below 0.1 of the
warmup target and a final training loss above half of chance.

Expected: `underfitting` (the loss ends near chance).
Acceptable:
- `plateau`: the loss barely moves in the first epochs;
- `suspicious_config`: the cause is the schedule's setting.

The healthy twin counts the warmup in steps, `5 * ceil(len(x_train) / 32)` (the fix). It must
train well and generalize.
"""

import math

from keras import optimizers

from benchmarks.accuracy import data, heldout8_parts, measure, models
from benchmarks.accuracy.scenario import Run, scenario

BATCH = 32
EPOCHS = 15
WARMUP_EPOCHS = 5
TARGET_RATE = 0.05
BARELY_WARMED = 0.1
SLOW_WARMUP_SIDE_EFFECTS = ("plateau", "suspicious_config")


def _run(warmup_in_samples, seed):
    (x, y), val = data.digits(seed)
    steps_per_epoch = math.ceil(len(x) / BATCH)
    warmup = WARMUP_EPOCHS * (len(x) if warmup_in_samples else steps_per_epoch)
    schedule = optimizers.schedules.CosineDecay(0.0, decay_steps=EPOCHS * steps_per_epoch,
                                                warmup_target=TARGET_RATE, warmup_steps=warmup)
    return Run(models.dense_stack(64, [64], "relu"), optimizers.SGD(schedule), "sparse_categorical_crossentropy",
               x, y, epochs=EPOCHS, batch_size=BATCH, validation_data=val, metrics=("accuracy",))


def never_warmed_up(trained):
    """The schedule's rate at the last step is below `BARELY_WARMED` of `TARGET_RATE`."""
    optimizer = trained.run.optimizer
    last_rate = float(optimizer.learning_rate)  # the schedule at the optimizer's step count
    return last_rate < BARELY_WARMED * TARGET_RATE, f"rate at the last step {last_rate:.4f}"


@scenario("mlp", expected=("underfitting",), acceptable=SLOW_WARMUP_SIDE_EFFECTS, heldout=True,
          verify=measure.all_of(never_warmed_up, measure.fails_to_learn()))
def heldout11_mlp_sgd_cosine_warmup_steps_counted_in_samples(seed):
    return _run(True, seed)


@scenario("mlp", heldout=True, verify=heldout8_parts.trains_and_generalizes())
def heldout11_healthy_mlp_sgd_cosine_warmup_steps_counted_in_steps(seed):
    return _run(False, seed)
