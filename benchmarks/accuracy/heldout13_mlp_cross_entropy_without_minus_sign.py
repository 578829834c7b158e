"""Held out (thirteenth split): a hand-written cross-entropy that lost its minus sign.

The fault. A user writes their own categorical cross-entropy for a digits MLP (`Dense(64,
"relu")`, 10-way softmax, Adam(1e-3), 15 epochs, integer labels) as
`sum(one_hot(y) * log(y_pred), axis=-1)` and forgets the leading minus. Minimizing it means
pushing the predicted probability of the true class towards 0: the loss is negative from the
first step and falls without bound, the model learns to rank the true digit last, and once a
true-class probability underflows to 0 in float32 its log is -inf, and the gradient NaN. The
run must show a training loss that became non-finite or ended below -5 (log-probabilities of
the true class below e^-5 on average) and a validation accuracy below 0.05 (chance is 0.1).

Expected: `non_finite` (the loss and then the weights become infinite or NaN).
Acceptable:
- `exploding_gradient`: the logits grow without bound and the gradients of the log of a
  vanishing probability grow with them before they turn NaN.
- `output_loss_mismatch`: the loss has no minimum under a softmax output.

The healthy twin writes the minus sign (the fix). It must reach 0.9 validation accuracy and
generalize.
"""

import math

from keras import ops, optimizers

from benchmarks.accuracy import heldout11_parts, heldout12_parts, heldout9_parts, measure, models
from benchmarks.accuracy.scenario import scenario

UNBOUNDED_LOSS = -5.0
WRONG_ACCURACY = 0.05


def _cross_entropy(sign):
    def cross_entropy(y_true, y_pred):
        one_hot = ops.one_hot(ops.cast(ops.reshape(y_true, (-1,)), "int32"), 10)
        return sign * ops.sum(one_hot * ops.log(y_pred), axis=-1)
    return cross_entropy


def _run(sign, seed):
    return models.digits_run(heldout12_parts.digits_mlp(), optimizers.Adam(1e-3), seed, epochs=15,
                             loss=_cross_entropy(sign), metrics=("accuracy",))


def loss_unbounded(trained):
    last = trained.history["loss"][-1]
    return (not math.isfinite(last)) or last < UNBOUNDED_LOSS, f"final training loss {last:.3g}"


def ranks_true_digit_low(trained):
    accuracy = heldout9_parts.validation_accuracy(trained)
    return accuracy < WRONG_ACCURACY, f"validation accuracy {accuracy:.3f}"


def nan_or_wrong(trained):
    """The weights became non-finite, or the model ranks the true digit so low that it is
    almost never the top class (`ranks_true_digit_low`)."""
    if not all(measure.finite(w) for w in trained.run.model.get_weights()):
        return True, "non-finite weights"
    return ranks_true_digit_low(trained)


@scenario("mlp", expected=("non_finite",), acceptable=("exploding_gradient", "output_loss_mismatch"),
          heldout=True, verify=measure.all_of(loss_unbounded, nan_or_wrong))
def heldout13_mlp_hand_written_cross_entropy_without_minus_sign(seed):
    return _run(1.0, seed)


@scenario("mlp", heldout=True, verify=heldout11_parts.accurate_and_generalizes())
def heldout13_healthy_mlp_hand_written_cross_entropy_with_minus_sign(seed):
    return _run(-1.0, seed)
