"""Held out (fourth split): a text GRU trained with Adam at learning rate 0.05.

The fault. A user trains `Embedding(1000, 32)` + `GRU(32)` + `Dense(1, "sigmoid")` on token
sequences (15 tokens; the embedding is sized for a vocabulary of 1,000, the corpus uses its first
200 ids; the label says whether tokens from the lower half of those outnumber the rest, a rule
the model can learn) with
`Adam(learning_rate=0.05)`, fifty times the usual 1e-3. Adam's step is about the learning rate
whatever the gradient, so every weight, embeddings and recurrent kernels alike, jumps by 0.05
per step: the gates saturate, the recurrent state swings, and the loss goes up and down from
epoch to epoch without settling. The run must show (`measure.oscillates`) the epoch loss turning
direction at 40% of the epochs or more, by a mean swing of 1% or more, and ending above half of
chance (the twin ends at 3% of it), or else a non-finite loss.

Expected: `oscillation` (the cause as the run shows it: steps too large to settle).
Acceptable: `suspicious_config` (the learning rate named as the cause of that),
`exploding_gradient` (the recurrent weights that the steps inflate), `saturation` (GRU gates
pushed into the flat ends of their sigmoid and tanh), `underfitting` (the loss that never gets
down), `non_finite` (the overflow it can end in).

The healthy twin uses `Adam(1e-3)` (the fix). It must train well.
"""

import keras
import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import data, measure
from benchmarks.accuracy.scenario import Run, scenario

VOCABULARY = 1000
IN_USE = 200
LENGTH = 15
SEQUENCES = 3000
EPOCHS = 10
# A final loss above half of chance: the bouncing run never gets near what the twin reaches.
ABOVE_CHANCE = 0.5
UNSTABLE_SIDE_EFFECTS = ("suspicious_config", "exploding_gradient", "saturation",
                         "underfitting", "non_finite")


def _sequences(seed):
    rng = np.random.default_rng(seed)
    tokens = rng.integers(1, IN_USE + 1, size=(SEQUENCES, LENGTH))
    labels = np.sum(tokens <= IN_USE // 2, axis=1) > LENGTH / 2  # odd length: no ties
    return data.split(tokens.astype("int32"), labels.astype("float32"), seed)


def _run(learning_rate, seed):
    (x, y), val = _sequences(seed)
    model = keras.Sequential([keras.Input((LENGTH,), dtype="int32"),
                              layers.Embedding(VOCABULARY, 32), layers.GRU(32),
                              layers.Dense(1, activation="sigmoid")])
    return Run(model, optimizers.Adam(learning_rate), "binary_crossentropy", x, y,
               epochs=EPOCHS, validation_data=val)


def loss_unstable(trained):
    """A non-finite loss, or a loss that bounces (`measure.oscillates`) above half of chance."""
    if not measure.finite(trained.history["loss"]):
        return True, "non-finite loss"
    return measure.oscillates(above_chance=ABOVE_CHANCE)(trained)


@scenario("text", expected=("oscillation",), acceptable=UNSTABLE_SIDE_EFFECTS, heldout=True,
          verify=loss_unstable)
def heldout4_text_gru_adam_lr_0_05(seed):
    return _run(0.05, seed)


@scenario("text", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout4_healthy_text_gru_adam_lr_1e_3(seed):
    return _run(1e-3, seed)
