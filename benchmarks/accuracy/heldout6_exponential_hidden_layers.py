"""Held out (sixth split): three hidden `Dense(64, activation="exponential")` layers overflow.

The fault. A user tries Keras' activations one by one on a digits MLP (pixels standardized per
feature) and leaves `activation="exponential"` on its three hidden `Dense(64)` layers. The
exponential has no bound: standardized pixels give first-layer pre-activations up to about 11
and outputs up to e^11, the second layer sums 64 of those and its pre-activations reach
thousands, beyond float32's largest exponent (about 88). Outputs become infinite, the softmax
head turns them into NaN, and the loss and then the weights go NaN: at the initial weights
already, 16-24% of the head's outputs on 512 training rows are not finite (seeds 0-2). The run
must show a non-finite training loss or weight.

Expected: `non_finite` (the activations overflow to inf and the loss becomes NaN).
Acceptable:
- `exploding_gradient`: the exponential's derivative is itself and grows with the activations;
- `suspicious_config`: the cause is a setup choice, an unbounded exponential hidden activation.

The healthy twin uses `activation="relu"` (the fix). It must train well.
"""

from keras import optimizers

from benchmarks.accuracy import data, measure, models
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 10
LEARNING_RATE = 1e-3
WIDTHS = (64, 64, 64)
OVERFLOW_SIDE_EFFECTS = ("exploding_gradient", "suspicious_config")


def _run(activation, seed):
    (x, y), val = data.standardized_digits(seed)
    model = models.dense_stack(64, list(WIDTHS), activation)
    return Run(model, optimizers.Adam(LEARNING_RATE), "sparse_categorical_crossentropy", x, y,
               epochs=EPOCHS, validation_data=val)


@scenario("mlp", expected=("non_finite",), acceptable=OVERFLOW_SIDE_EFFECTS, heldout=True,
          verify=measure.becomes_non_finite())
def heldout6_mlp_three_exponential_hidden_layers(seed):
    return _run("exponential", seed)


@scenario("mlp", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout6_healthy_mlp_three_relu_hidden_layers(seed):
    return _run("relu", seed)
