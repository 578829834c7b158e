"""Held out (fourth split): a linear one-unit output under a probability loss.

The fault. A user builds a binary classifier for the breast-cancer data (standardized) with a
last layer `Dense(1)` and no activation, and compiles it with `keras.losses.BinaryCrossentropy()`
(`from_logits=False`, the default). The loss treats the raw score as a probability and clips it
to [1e-7, 1 - 1e-7]: a score above 1 or below 0 sits on a flat piece of the clipped loss and
gets exactly no gradient, so every row that the first steps push past a bound stops teaching,
right or wrong, and a wrong row stuck past a bound costs -log(1e-7) = 16 for ever. The run must
show, at the end, a quarter or more of the training rows with a raw score outside [0, 1] and an
exactly-zero gradient of the loss with respect to that score (the note also counts the clipped
rows on the wrong side).

Expected: `output_loss_mismatch` (the cause: an output whose range is not the range its loss
expects). Acceptable: `zero_gradient` (the clipped rows' gradient is exactly zero: if every row
is clipped, every gradient is), `plateau` and `underfitting` (the loss that the stuck wrong rows
hold up).

The healthy twin has `Dense(1, activation="sigmoid")` (the fix). It must train well.
"""

from keras import losses

from benchmarks.accuracy import measure
from benchmarks.accuracy.binary_output_range import (CLIPPED_SHARE, RANGE_SIDE_EFFECTS, output_range_run,
                                                     score_gradients)
from benchmarks.accuracy.scenario import scenario


def _run(output_activation, seed):
    return output_range_run(output_activation, seed, losses.BinaryCrossentropy())


def scores_clipped(trained):
    """Share of rows whose raw score is outside [0, 1] with an exactly-zero gradient, and the
    share of rows clipped on the wrong side."""
    scores, gradient = score_gradients(trained.run)
    clipped = ((scores < 0) | (scores > 1)) & (gradient == 0)
    wrong = clipped & ((scores > 1) != (trained.run.y > 0.5))
    holds = clipped.mean() >= CLIPPED_SHARE
    return holds, (f"scores outside [0, 1] with zero gradient {clipped.mean():.2f}, clipped on the "
                   f"wrong side {wrong.mean():.3f}")


@scenario("mlp", expected=("output_loss_mismatch",), acceptable=RANGE_SIDE_EFFECTS, heldout=True,
          verify=scores_clipped)
def heldout4_mlp_linear_output_binary_crossentropy(seed):
    return _run(None, seed)


@scenario("mlp", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout4_healthy_mlp_sigmoid_output_binary_crossentropy(seed):
    return _run("sigmoid", seed)
