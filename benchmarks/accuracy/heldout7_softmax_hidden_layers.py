"""Held out (seventh split): three hidden `Dense(64, activation="softmax")` layers.

The fault. A user picks `activation="softmax"` for the three hidden `Dense(64)` layers of a
digits MLP (pixels standardized per feature), as if it were an ordinary hidden nonlinearity.
A softmax makes each layer's 64 outputs sum to 1: every unit outputs about 1/64, whatever the
input, so the signal each layer passes on is squeezed into a tiny range, and its Jacobian
(diag(p) - p p^T, entries of order 1/64) shrinks the backward signal by a large factor at each
layer. The first layer learns orders of magnitude slower than the head. The run must show, at
the initial weights, a backward signal (the loss's gradient with respect to a layer's
pre-activations) at the first hidden layer below 1e-3 of the head's, and a training loss that
stays above half of chance. (The kernel gradients' ratio understates it: the head's input, the
softmax outputs of about 1/64, is small too.)

Expected: `vanishing_gradient` (each softmax layer shrinks the backward signal; the first layer
barely receives one).
Acceptable:
- `saturation`: the softmax units sit near 0, the flat end of their range;
- `suspicious_config`: the cause is a setup choice, softmax as a hidden activation;
- `underfitting`: the model may not fit its training data;
- `plateau`: the loss may sit near chance for a while before it moves.

The healthy twin uses `activation="relu"` (the fix). It must train well.
"""

from keras import optimizers

from benchmarks.accuracy import data, measure, models
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 12
LEARNING_RATE = 1e-3
WIDTHS = (64, 64, 64)
HIDDEN_SOFTMAX_SIDE_EFFECTS = ("saturation", "suspicious_config", "underfitting", "plateau")


def _run(activation, seed):
    (x, y), val = data.standardized_digits(seed)
    model = models.dense_stack(64, list(WIDTHS), activation)
    return Run(model, optimizers.Adam(LEARNING_RATE), "sparse_categorical_crossentropy", x, y,
               epochs=EPOCHS, validation_data=val)


@scenario("mlp", expected=("vanishing_gradient",), acceptable=HIDDEN_SOFTMAX_SIDE_EFFECTS,
          heldout=True, verify=measure.all_of(measure.backward_signal_vanishes(),
                                             measure.fails_to_learn()))
def heldout7_mlp_three_softmax_hidden_layers(seed):
    return _run("softmax", seed)


@scenario("mlp", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout7_healthy_mlp_three_relu_hidden_layers(seed):
    return _run("relu", seed)
