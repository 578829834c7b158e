"""Held out (sixth split): SGD at learning rate 1.0 on a four-layer ReLU MLP kills its units.

The fault. A user trains a digits classifier (pixels scaled to [0, 1], four hidden
`Dense(64, "relu")` layers, softmax head) with `keras.optimizers.SGD(learning_rate=1.0)`, a rate
copied from a shallow logistic-regression example. The first updates are large, and the inputs
are all non-negative, so a step that lowers a unit's pre-activation on one image lowers it on
nearly all of them: the steps move the hidden layers' biases and kernels so far that, for many
units, the pre-activation is negative on every input. Such a unit outputs 0 everywhere, its
gradient is 0 everywhere, and it never comes back; the deeper layers lose most or all of their
width and the loss stays at chance. (As first planned, SGD at 0.5 on standardized pixels only
made the loss jump, with 5-45% of a layer's units dead at seeds 0-2; from 0.7 on standardized
pixels the loss turns NaN.) The run must show, at the end, a hidden layer where half of the
units or more output 0 on every measured training row, with finite weights.

Expected: `dead_relu` (the large first steps leave most units of a layer dead).
Acceptable:
- `underfitting`: the thinned network ends far from fitting the digits;
- `plateau`: the loss stalls once the units are dead;
- `exploding_gradient`: the large first steps that kill the units;
- `oscillation`: the surviving units are still trained at a rate that overshoots;
- `suspicious_config`: the cause is a setup value, a learning rate far too high for SGD.

The healthy twin uses `SGD(learning_rate=0.1)` (the fix). It must train well.
"""

from keras import optimizers

from benchmarks.accuracy import data, measure, models
from benchmarks.accuracy.scenario import Run, scenario

EPOCHS = 10
WIDTHS = (64, 64, 64, 64)
DEAD_UNIT_SIDE_EFFECTS = ("underfitting", "plateau", "exploding_gradient", "oscillation",
                          "suspicious_config")


def _run(learning_rate, seed):
    (x, y), val = data.digits(seed)
    model = models.dense_stack(64, list(WIDTHS), "relu")
    return Run(model, optimizers.SGD(learning_rate), "sparse_categorical_crossentropy", x, y,
               epochs=EPOCHS, validation_data=val)


def _weights_finite(trained):
    ok = all(measure.finite(w) for w in trained.run.model.get_weights())
    return ok, "weights finite" if ok else "non-finite weights"


@scenario("mlp", expected=("dead_relu",), acceptable=DEAD_UNIT_SIDE_EFFECTS, heldout=True,
          verify=measure.all_of(measure.units_dead(), _weights_finite))
def heldout6_mlp_four_relu_layers_sgd_lr_1(seed):
    return _run(1.0, seed)


@scenario("mlp", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout6_healthy_mlp_four_relu_layers_sgd_lr_0_1(seed):
    return _run(0.1, seed)
