"""Held out (tenth split): a Conv1D softmax topic classifier trained with mean squared error
on the topic ids.

The fault. A user classifies generated sentences into four topics with `Embedding(vocab, 16)`,
`Conv1D(32, 3, "relu")`, `GlobalMaxPooling1D` and `Dense(4, "softmax")`, Adam(1e-3), and
compiles it with `loss="mse"` (copied from a regression notebook), keeping the labels as one
column of topic ids (`df[["topic"]]`, shape `(n, 1)`, values 0 to 3). Keras broadcasts the
column against the four probabilities, so the loss is the mean of `(topic - p_k)^2` over the
four outputs. Because the probabilities sum to 1, that mean is
`topic^2 - topic / 2 + mean(p_k^2)`: the label only adds a constant, and the gradient that
reaches the logits carries no label at all. It pushes every row toward the uniform
distribution, and the model never learns which topic a sentence has. The run must show the
validation rows' largest probability below 0.4 on average (0.25 is uniform) and a validation
accuracy below 0.45 (chance is about 0.25; the twin reaches above 0.9).

Expected: `output_loss_mismatch` (a regression loss on a softmax head whose targets are class ids).
Acceptable:
- `label_mismatch`: the labels are class ids, not the one-hot rows a squared error on
  probabilities would need;
- `underfitting`: the loss never approaches what the model could reach;
- `plateau`: the loss settles in the first epochs and stays flat.

The healthy twin compiles the same model with `sparse_categorical_crossentropy` (the fix). It
must reach 0.9 validation accuracy and generalize.
"""

import keras
import numpy as np
from keras import layers

from benchmarks.accuracy import heldout9_parts, heldout10_parts
from benchmarks.accuracy.scenario import scenario

UNIFORM_LIKE = 0.4
AT_CHANCE_ACCURACY = 0.45
MSE_ON_IDS_SIDE_EFFECTS = ("label_mismatch", "underfitting", "plateau")


def _run(loss, seed):
    (ids, topics), (ids_val, topics_val), vocabulary = heldout10_parts.topic_tokens(seed)
    model = keras.Sequential([keras.Input((heldout10_parts.LENGTH,), dtype="int32"),
                              layers.Embedding(vocabulary, 16),
                              layers.Conv1D(32, 3, activation="relu"), layers.GlobalMaxPooling1D(),
                              layers.Dense(4, activation="softmax")])
    return heldout10_parts.topic_run(model, loss, (ids, topics[:, None]), (ids_val, topics_val[:, None]))


def rows_stay_uniform(trained):
    """The validation rows' mean largest probability is below `UNIFORM_LIKE` and the validation
    accuracy below `AT_CHANCE_ACCURACY`."""
    x_val, _ = trained.run.validation_data
    largest = float(np.mean(np.asarray(trained.run.model(x_val, training=False)).max(-1)))
    accuracy = heldout9_parts.validation_accuracy(trained)
    return largest < UNIFORM_LIKE and accuracy < AT_CHANCE_ACCURACY, \
        f"mean largest probability {largest:.3f}, validation accuracy {accuracy:.3f}"


@scenario("text", expected=("output_loss_mismatch",), acceptable=MSE_ON_IDS_SIDE_EFFECTS,
          heldout=True, verify=rows_stay_uniform)
def heldout10_text_conv1d_softmax_mse_on_topic_ids(seed):
    return _run("mean_squared_error", seed)


@scenario("text", heldout=True, verify=heldout10_parts.accurate_and_generalizes())
def heldout10_healthy_text_conv1d_softmax_sparse_crossentropy(seed):
    return _run("sparse_categorical_crossentropy", seed)
