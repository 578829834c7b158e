"""Held out (seventh split): a `Lambda(stop_gradient)` left after the second hidden Dense layer.

The fault. A user who meant to freeze a different part of the network puts
`keras.layers.Lambda(lambda t: keras.ops.stop_gradient(t))` after the second of four hidden
`Dense(64, "relu")` layers of a digits MLP. The forward pass is unchanged, but no gradient flows
back through the Lambda: the two Dense layers below it get an exactly zero gradient at every
step and keep their random initial weights, and only the top two hidden layers and the head
learn (on random relu features of the pixels). The run must show, at the end, an exactly zero
kernel gradient for the first two Dense layers and their kernels equal to the initial ones.

Expected: `zero_gradient` (the two lower layers are cut off from the loss: their gradient is
exactly zero).
Acceptable:
- `vanishing_gradient`: the lower layers' gradient is zero against a live output layer;
- `suspicious_config`: the cause is a setup slip, a gradient stop in the middle of the model;
- `underfitting`: the top layers learn on random features and may fit the data less well.

The healthy twin has no Lambda (the fix). It must train well.
"""

import keras
import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import measure, models
from benchmarks.accuracy.scenario import scenario

EPOCHS = 7
LEARNING_RATE = 1e-3
WIDTH = 64
CUT_OFF_LAYERS = 2
GRADIENT_STOP_SIDE_EFFECTS = ("vanishing_gradient", "suspicious_config", "underfitting")


def _run(stop_gradient, seed):
    below = [layers.Dense(WIDTH, activation="relu") for _ in range(CUT_OFF_LAYERS)]
    above = [layers.Dense(WIDTH, activation="relu") for _ in range(4 - CUT_OFF_LAYERS)]
    stop = [layers.Lambda(lambda t: keras.ops.stop_gradient(t))] if stop_gradient else []
    model = keras.Sequential([keras.Input((64,)), *below, *stop, *above,
                              layers.Dense(10, activation="softmax")])
    return models.digits_run(model, optimizers.Adam(LEARNING_RATE), seed, EPOCHS)


def lower_layers_cut_off(trained):
    """The first `CUT_OFF_LAYERS` Dense layers have an exactly zero kernel gradient at the end
    and kept their initial kernels."""
    run = trained.run
    x, y = measure.inputs_of(run.x), measure.inputs_of(run.y)
    norms = measure.layer_gradient_norms(run.model, measure.loss_function(run), x, y)
    lower = [norm for _, norm in norms[:CUT_OFF_LAYERS]]
    dense = [layer for layer in run.model.layers if isinstance(layer, layers.Dense)]
    # get_weights order: kernel, bias per Dense layer.
    unchanged = all(np.array_equal(np.asarray(layer.kernel), trained.initial_weights[2 * i])
                    for i, layer in enumerate(dense[:CUT_OFF_LAYERS]))
    return all(n == 0 for n in lower) and unchanged, \
        f"lower kernel gradient norms {lower}, lower kernels unchanged: {unchanged}"


@scenario("mlp", expected=("zero_gradient",), acceptable=GRADIENT_STOP_SIDE_EFFECTS,
          heldout=True, verify=lower_layers_cut_off)
def heldout7_mlp_stop_gradient_lambda_after_second_dense(seed):
    return _run(True, seed)


@scenario("mlp", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout7_healthy_mlp_without_stop_gradient_lambda(seed):
    return _run(False, seed)
