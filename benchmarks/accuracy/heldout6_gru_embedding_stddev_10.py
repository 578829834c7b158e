"""Held out (sixth split): token embeddings drawn with stddev 10 drive a GRU's gates to 0 and 1.

The fault. A user classifies token sequences (ids from a vocabulary of 1,000) with
`Embedding(1000, 32)` + `GRU(32)` + `Dense(1, "sigmoid")`, and, copying a setting meant for
something else, gives the embedding `embeddings_initializer=RandomNormal(stddev=10)`. Every
embedded token is then a vector of size ~57 (10 x sqrt(32)); through the GRU's input kernel its
update, reset and candidate pre-activations have a spread of several units, so most gate values
sit within 0.05 of 0 or 1 and the candidate state within 0.05 of -1 or 1. There the sigmoid and
tanh pass almost no gradient, and the GRU cannot learn what it should remember. The label rule is
learnable: a sequence is positive when most of its 15 tokens have an id below 500. The run must
show, at the end, 50% or more of the GRU's gate and candidate values (over the measured
sequences, steps and units, computed with TensorFlow from the layer's weights) within 0.05 of a
bound, and a validation loss above half of chance.

Expected: `saturation` (the GRU's bounded gates are pinned at their bounds).
Acceptable:
- `vanishing_gradient`: saturated gates pass tiny gradients back to the embedding and through time;
- `underfitting`: the rule is not learnt, the loss stays near chance;
- `plateau`: the loss stalls where the saturated gates leave it;
- `suspicious_config`: the cause is a setup value, an initializer 200 times Keras' default.

The healthy twin uses Keras' default embedding initializer (the fix). It must train well.
"""

import keras
import numpy as np
import tensorflow as tf
from keras import layers, optimizers

from benchmarks.accuracy import measure
from benchmarks.accuracy.scenario import Run, scenario

VOCABULARY = 1000
STEPS = 15
EMBEDDING = 32
UNITS = 32
TRAIN, VALIDATION = 6000, 500
EPOCHS = 8
LEARNING_RATE = 3e-3
BATCH = 64
# A gate value within 0.05 of its bound passes at most ~0.05 of the gradient at its centre.
BOUND_MARGIN = 0.05
# Half the gate values pinned: half the GRU's paths are shut.
SATURATED_SHARE = 0.5
SATURATION_SIDE_EFFECTS = ("vanishing_gradient", "underfitting", "plateau", "suspicious_config")


def token_sequences(seed, n):
    """`n` sequences of `STEPS` token ids and their labels: 1 when most ids are below half the
    vocabulary."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, VOCABULARY, size=(n, STEPS)).astype("int32")
    y = (np.sum(x < VOCABULARY // 2, axis=1) > STEPS // 2).astype("float32")
    return x, y


def _run(embedding_kwargs, seed):
    x, y = token_sequences(seed, TRAIN)
    val = token_sequences(seed + 10_000, VALIDATION)
    model = keras.Sequential([
        keras.Input((STEPS,), dtype="int32"),
        layers.Embedding(VOCABULARY, EMBEDDING, **embedding_kwargs),
        layers.GRU(UNITS),
        layers.Dense(1, activation="sigmoid"),
    ])
    return Run(model, optimizers.Adam(LEARNING_RATE), "binary_crossentropy", x, y, epochs=EPOCHS,
               batch_size=BATCH, validation_data=val)


def gate_values(model, x):
    """The GRU's update gate, reset gate and candidate state at every step of `x`, computed
    from its weights as Keras' GRU (reset_after=True) defines them: `(z, r, candidate)`."""
    embedding, gru = model.layers[0], model.layers[1]
    cell = gru.cell
    sequence = embedding(x)
    kernel, recurrent, bias = cell.kernel, cell.recurrent_kernel, cell.bias
    h = tf.zeros((sequence.shape[0], UNITS))
    gates = []
    for step in range(sequence.shape[1]):
        from_input = tf.matmul(sequence[:, step], kernel) + bias[0]
        from_state = tf.matmul(h, recurrent) + bias[1]
        x_z, x_r, x_h = tf.split(from_input, 3, axis=-1)
        h_z, h_r, h_h = tf.split(from_state, 3, axis=-1)
        z, r = tf.sigmoid(x_z + h_z), tf.sigmoid(x_r + h_r)
        candidate = tf.tanh(x_h + r * h_h)
        h = z * h + (1 - z) * candidate
        gates.append((z, r, candidate))
    z, r, candidate = (np.stack([np.asarray(g[i]) for g in gates]) for i in range(3))
    return z, r, candidate


def _entropy(y):
    p = float(np.mean(y))
    return -(p * np.log(p) + (1 - p) * np.log(1 - p))


def gates_saturated(trained):
    """Share of gate and candidate values within `BOUND_MARGIN` of a bound, and the final
    validation loss against chance."""
    run = trained.run
    z, r, candidate = gate_values(run.model, measure.inputs_of(run.x))
    near = np.concatenate([
        ((z < BOUND_MARGIN) | (z > 1 - BOUND_MARGIN)).ravel(),
        ((r < BOUND_MARGIN) | (r > 1 - BOUND_MARGIN)).ravel(),
        (np.abs(candidate) > 1 - 2 * BOUND_MARGIN).ravel(),
    ])
    share = float(np.mean(near))
    ratio = trained.history["val_loss"][-1] / _entropy(run.validation_data[1])
    return share >= SATURATED_SHARE and ratio > measure.FAILING_LOSS_SHARE, \
        f"gate values at a bound {share:.2f}, final val loss / chance {ratio:.2f}"


@scenario("text", expected=("saturation",), acceptable=SATURATION_SIDE_EFFECTS, heldout=True,
          verify=gates_saturated)
def heldout6_text_gru_embedding_init_stddev_10(seed):
    return _run({"embeddings_initializer": keras.initializers.RandomNormal(stddev=10.0)}, seed)


@scenario("text", heldout=True, verify=measure.trains_and_validates_well(chance=_entropy))
def heldout6_healthy_text_gru_default_embedding_init(seed):
    return _run({}, seed)
