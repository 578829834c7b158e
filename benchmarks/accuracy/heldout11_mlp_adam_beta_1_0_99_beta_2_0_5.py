"""Held out (eleventh split): Adam with `beta_1=0.99` and `beta_2=0.5`.

The fault. A user trains a digits MLP (two `Dense(64, "relu")` layers, `Dense(10, "softmax")`)
with `Adam(1e-3, beta_1=0.99, beta_2=0.5)`, 15 epochs: they raised `beta_1` for "smoother"
momentum and lowered `beta_2` so that Adam "adapts faster", both from forum advice. The step is
the first moment over the root of the second: the first averages the gradient over about 100
steps, the second its square over about 2. Whenever the latest gradients are small while the
long average still carries the large earlier ones, the ratio is far above 1 and the step far
above the learning rate; Adam is known to diverge when `beta_1` exceeds the root of `beta_2`
(0.99 against 0.71 here). The weights are thrown out, and the loss climbs by orders of
magnitude. The run must show a training loss that rises above 10 times its first epoch's (or
is not finite) and a validation accuracy below 0.5 at the end.

Expected: `exploding_gradient` (the steps and then the weights and gradients blow up).
Acceptable:
- `oscillation`: the loss jumps up and down on its way up;
- `non_finite`: it may overflow;
- `suspicious_config`: the cause is the optimizer's settings;
- `dead_relu`, `saturation`, `underfitting`: what the thrown weights leave behind.

The healthy twin uses Adam's defaults, `beta_1=0.9`, `beta_2=0.999` (the fix). It must train
well and generalize.
"""

import math

from keras import optimizers

from benchmarks.accuracy import data, heldout8_parts, heldout11_parts, measure, models
from benchmarks.accuracy.scenario import Run, scenario

RISE = 10.0
POOR_ACCURACY = 0.5
MOMENT_MISMATCH_SIDE_EFFECTS = ("oscillation", "non_finite", "suspicious_config", "dead_relu", "saturation",
                                "underfitting")


def _run(beta_1, beta_2, seed):
    (x, y), val = data.digits(seed)
    return Run(models.dense_stack(64, [64, 64], "relu"), optimizers.Adam(1e-3, beta_1=beta_1, beta_2=beta_2),
               "sparse_categorical_crossentropy", x, y, epochs=15, validation_data=val, metrics=("accuracy",))


def loss_climbs(trained):
    """The training loss goes above `RISE` times its first epoch's value or is not finite."""
    losses = trained.history["loss"]
    climbed = any(not math.isfinite(value) or value > RISE * losses[0] for value in losses)
    return climbed, f"loss {losses[0]:.3g} -> max {max(losses):.3g}"


@scenario("mlp", expected=("exploding_gradient",), acceptable=MOMENT_MISMATCH_SIDE_EFFECTS, heldout=True,
          verify=measure.all_of(loss_climbs, heldout11_parts.less_accurate_than(POOR_ACCURACY)))
def heldout11_mlp_adam_beta_1_0_99_beta_2_0_5(seed):
    return _run(0.99, 0.5, seed)


@scenario("mlp", heldout=True, verify=heldout8_parts.trains_and_generalizes())
def heldout11_healthy_mlp_adam_default_betas(seed):
    return _run(0.9, 0.999, seed)
