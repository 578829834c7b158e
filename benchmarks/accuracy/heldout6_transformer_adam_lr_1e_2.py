"""Held out (sixth split): a small Transformer classifier trained with Adam at 1e-2, no warm-up.

The fault. A user writes the keras.io-style text classifier: token and position embeddings
(summed, width 96), one block of `MultiHeadAttention(num_heads=4, key_dim=96)` and a ReLU
feed-forward layer (4 x 96 units), each with a residual connection and `LayerNormalization`,
global average pooling and a softmax head. The generated task: a sequence of 20 token ids (64
ids, in four groups by id % 4) belongs to the group most of its tokens come from. The user trains
it with `Adam(learning_rate=1e-2)` and no warm-up, ten times the rate Transformers are usually
trained at. The attention logits and the layer-normalized activations take steps too large for
their curvature: the loss descends for a few epochs, then goes up and down between epochs instead
of descending, and the model ends far above the twin (measured at seeds 0-2: 0.48 to 0.67 of
chance after 20 epochs, with 2 to 5 epochs whose loss rises; the twin ends below 0.1). (A width
of 32 or 64 learns the task at 1e-2 too, with small bounces: the instability needs the wider
block.) The run must show the epoch loss rising again by 2% or more in at least two epochs after
the first, and a final training loss above 0.12 of chance (the twin's ends below 0.1).

Expected: `oscillation` (the loss bounces: the steps are too large for the landscape).
Acceptable:
- `suspicious_config`: the cause is a setup value, a learning rate ten times the usual one;
- `exploding_gradient`: the instability's gradient spikes;
- `dead_relu`: the large steps can shut feed-forward ReLU units;
- `underfitting`: the model ends far from fitting the task.

The healthy twin uses `Adam(learning_rate=1e-3)` (the fix). It must train well.
"""

import keras
import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import measure
from benchmarks.accuracy.scenario import Run, scenario

VOCABULARY = 64
STEPS = 20
GROUPS = 4
WIDTH = 96
HEADS = 4
TRAIN, VALIDATION = 2000, 800
EPOCHS = 20
BATCH = 32
# The loss rising again by 2% of itself, in two epochs or more: bouncing, not noise.
RISE = 0.02
RISES = 2
# The twin ends below 0.1 of chance (0.05-0.08 at seeds 0-2); above 0.12 the instability held
# the run back.
HELD_BACK_SHARE = 0.12
INSTABILITY_SIDE_EFFECTS = ("suspicious_config", "exploding_gradient", "dead_relu", "underfitting")


def grouped_sequences(seed, n):
    """`n` sequences of `STEPS` token ids and their labels: the group (id % `GROUPS`) that most
    of the sequence's tokens belong to (the lowest group on a tie)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, VOCABULARY, size=(n, STEPS))
    counts = np.stack([np.sum(x % GROUPS == g, axis=1) for g in range(GROUPS)], axis=1)
    return x.astype("int32"), counts.argmax(axis=1).astype("int64")


class TokenAndPosition(layers.Layer):
    """Token embedding plus a learned position embedding."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.tokens = layers.Embedding(VOCABULARY, WIDTH)
        self.positions = layers.Embedding(STEPS, WIDTH)

    def call(self, x):
        positions = keras.ops.arange(0, STEPS)
        return self.tokens(x) + self.positions(positions)


def transformer():
    inputs = keras.Input((STEPS,), dtype="int32")
    tensor = TokenAndPosition()(inputs)
    attended = layers.MultiHeadAttention(num_heads=HEADS, key_dim=WIDTH)(tensor, tensor)
    tensor = layers.LayerNormalization()(tensor + attended)
    forward = layers.Dense(4 * WIDTH, activation="relu")(tensor)
    forward = layers.Dense(WIDTH)(forward)
    tensor = layers.LayerNormalization()(tensor + forward)
    tensor = layers.GlobalAveragePooling1D()(tensor)
    outputs = layers.Dense(GROUPS, activation="softmax")(tensor)
    return keras.Model(inputs, outputs)


def _run(learning_rate, seed):
    x, y = grouped_sequences(seed, TRAIN)
    val = grouped_sequences(seed + 10_000, VALIDATION)
    return Run(transformer(), optimizers.Adam(learning_rate), "sparse_categorical_crossentropy",
               x, y, epochs=EPOCHS, batch_size=BATCH, validation_data=val)


def loss_bounces(trained):
    """Epochs after the first whose loss rises by `RISE` of the previous one, and the final
    loss against chance."""
    loss = np.asarray(trained.history["loss"], dtype="float64")
    rises = int(np.sum(loss[2:] > (1 + RISE) * loss[1:-1]))
    ratio = loss[-1] / measure.label_entropy(trained.run.y)
    held_back = (not np.isfinite(loss[-1])) or ratio > HELD_BACK_SHARE
    return rises >= RISES and held_back, f"loss rises {rises}, final loss / chance {ratio:.2f}"


@scenario("text", expected=("oscillation",), acceptable=INSTABILITY_SIDE_EFFECTS, heldout=True,
          verify=loss_bounces)
def heldout6_text_transformer_adam_lr_1e_2(seed):
    return _run(1e-2, seed)


@scenario("text", heldout=True, verify=measure.trains_and_validates_well())
def heldout6_healthy_text_transformer_adam_lr_1e_3(seed):
    return _run(1e-3, seed)
