"""Held out: short texts padded at the end, through an Embedding and an LSTM.

The fault. A user classifies short sentences (generated: 5 to 10 word ids from a vocabulary of 50;
the label says whether one of the five "positive" words 1-5 occurs) and pads every sentence to
60 ids with zeros AT THE END (`pad_sequences(..., padding="post")`), feeding
`Embedding` (no `mask_zero`) + `LSTM` + a sigmoid. The LSTM's last state is read after 50 or more
pad steps, so the words' gradient must come back through them; at initialization each step
multiplies it by a forget gate near sigmoid(1) = 0.73, and 0.73^50 is about 1e-7. The words
cannot teach the model, and the loss stays near chance. The run must show the gradient reaching
the first time step below 1e-3 of the one at the last (measured with a `GradientTape` on the
embedded sequence) and a loss above half of chance. Expected: `vanishing_gradient`.

The healthy twin is the fix the Keras masking guide gives: `Embedding(mask_zero=True)`, so the
LSTM skips the padding. It must train well.
"""

import keras
import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import measure
from benchmarks.accuracy.scenario import Run, scenario

VOCABULARY = 50
POSITIVE_WORDS = 5
TIMESTEPS = 60
SAMPLES = 1000
VALIDATION = 300
STALL_SIDE_EFFECTS = ("underfitting", "plateau")
HEALTHY = measure.all_of(measure.trains_well(), measure.generalizes())


def post_padded_sentences(seed):
    """`(x, y), (x_val, y_val)`: sentences of 5-10 word ids (1 to 49) padded with 0 at the end
    to `TIMESTEPS`; y = 1 when a word id is at most `POSITIVE_WORDS`."""
    rng = np.random.default_rng(seed)
    total = SAMPLES + VALIDATION
    lengths = rng.integers(5, 11, size=total)
    words = rng.integers(1, VOCABULARY, size=(total, TIMESTEPS))
    x = np.where(np.arange(TIMESTEPS)[None, :] < lengths[:, None], words, 0).astype("int32")
    y = np.any((x >= 1) & (x <= POSITIVE_WORDS), axis=1).astype("float32")[:, None]
    return (x[:SAMPLES], y[:SAMPLES]), (x[SAMPLES:], y[SAMPLES:])


def _text_model(mask_zero):
    return keras.Sequential([keras.Input((TIMESTEPS,), dtype="int32"),
                             layers.Embedding(VOCABULARY, 16, mask_zero=mask_zero),
                             layers.LSTM(32), layers.Dense(1, activation="sigmoid")])


@scenario("text", expected=("vanishing_gradient",), acceptable=STALL_SIDE_EFFECTS, heldout=True,
          verify=measure.gradients_vanish_through_time())
def heldout_text_lstm_reads_50_pad_steps_after_the_words(seed):
    (x, y), val = post_padded_sentences(seed)
    return Run(_text_model(False), optimizers.Adam(3e-3), "binary_crossentropy", x, y, epochs=5,
               validation_data=val)


@scenario("text", heldout=True, verify=HEALTHY)
def heldout_healthy_text_lstm_masks_the_padding(seed):
    (x, y), val = post_padded_sentences(seed)
    return Run(_text_model(True), optimizers.Adam(3e-3), "binary_crossentropy", x, y, epochs=5,
               validation_data=val)
