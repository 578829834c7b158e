"""Held out (fourth split): a 12-layer ReLU MLP with weights drawn from N(0, 1).

The fault. A user builds a deep ReLU classifier for a standardized tabular problem (scikit-learn
`make_classification`, 20 features, 3 classes) and sets
`kernel_initializer=RandomNormal(stddev=1.0)` on every Dense layer. With 32 inputs per unit a
ReLU layer multiplies the scale of its input by about sqrt(32 / 2) = 4, so after 12 layers the
logits are some 4^12 ~ 1e7 times the features: the cross-entropy is in the millions and SGD's
first steps, scaled by the same factor on the way back, throw the weights further out until the
loss overflows. The run must show (`measure.gradients_explode`) the first layer's gradient
above 1e3 times the last layer's at the initial weights, or a non-finite loss or gradient.

Expected: `exploding_gradient` (the cause: activations and gradients that grow layer by layer).
Acceptable: `non_finite` (the overflow it ends in), `dead_relu` (huge steps that switch units
off), `oscillation` and `underfitting` (a loss that jumps and stays far from a fit),
`suspicious_config` (the initializer named as the setup mistake behind it).

The healthy twin uses `he_normal` (the fix). It must train well.
"""

from keras import initializers, optimizers

from benchmarks.accuracy import data, measure, models
from benchmarks.accuracy.scenario import Run, scenario

DEPTH = 12
WIDTH = 32
EPOCHS = 8
LEARNING_RATE = 0.02
BLOW_UP_SIDE_EFFECTS = ("non_finite", "dead_relu", "oscillation", "underfitting",
                        "suspicious_config")


def _run(kernel_initializer, seed):
    (x, y), val = data.standardize(data.classification(seed, n_samples=1600, n_features=20, n_informative=10,
                                                       n_classes=3, class_sep=2.0))
    model = models.dense_stack(20, [WIDTH] * DEPTH, "relu", output_units=3,
                               kernel_initializer=kernel_initializer)
    return Run(model, optimizers.SGD(LEARNING_RATE), "sparse_categorical_crossentropy", x, y,
               epochs=EPOCHS, validation_data=val)


@scenario("mlp", expected=("exploding_gradient",), acceptable=BLOW_UP_SIDE_EFFECTS, heldout=True,
          verify=measure.gradients_explode())
def heldout4_mlp_12_relu_layers_init_stddev_1(seed):
    return _run(initializers.RandomNormal(stddev=1.0, seed=seed), seed)


@scenario("mlp", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout4_healthy_mlp_12_relu_layers_he_normal(seed):
    return _run("he_normal", seed)
