"""Held out (fifth split): a tanh output unit under binary cross-entropy.

The fault. A user builds a binary classifier for the breast-cancer data (standardized) with a
last layer `Dense(1, activation="tanh")` and compiles it with `"binary_crossentropy"`. Half of
tanh's range, (-1, 0], is not a probability: the loss clips a score below 1e-7 up to 1e-7, where
it is flat, so every row whose score goes negative gets exactly no gradient. A row of class 0
pushed below zero stops teaching (the loss reads it as a perfect 0); a row of class 1 that
starts or lands there costs -log(1e-7) = 16 and can never climb back on its own gradient; and
`predict` hands the user negative "probabilities". The run must show, at the end, a quarter or
more of the training rows with a negative score and an exactly-zero gradient of the loss with
respect to it (the note also counts those of class 1, stuck on the wrong side).

Expected: `output_loss_mismatch` (the cause: an output whose range is not the range its loss
expects). Acceptable: `zero_gradient` (the clipped rows' gradient is exactly zero: where every
row is clipped, every gradient is), `plateau` and `underfitting` (the loss that stuck class-1
rows hold up).

The healthy twin has `Dense(1, activation="sigmoid")` (the fix). It must train well.
"""

from benchmarks.accuracy import measure
from benchmarks.accuracy.binary_output_range import (CLIPPED_SHARE, RANGE_SIDE_EFFECTS, output_range_run,
                                                     score_gradients)
from benchmarks.accuracy.scenario import scenario


def negative_scores_clipped(trained):
    """Share of rows whose score is negative with an exactly-zero gradient of the loss, and the
    share of those that belong to class 1."""
    scores, gradient = score_gradients(trained.run)
    clipped = (scores < 0) & (gradient == 0)
    stuck = clipped & (trained.run.y > 0.5)
    return clipped.mean() >= CLIPPED_SHARE, \
        f"negative scores with zero gradient {clipped.mean():.2f}, of class 1 {stuck.mean():.3f}"


@scenario("mlp", expected=("output_loss_mismatch",), acceptable=RANGE_SIDE_EFFECTS, heldout=True,
          verify=negative_scores_clipped)
def heldout5_mlp_tanh_output_binary_crossentropy(seed):
    return output_range_run("tanh", seed, "binary_crossentropy")


@scenario("mlp", heldout=True, verify=measure.all_of(measure.trains_well(), measure.generalizes()))
def heldout5_healthy_mlp_sigmoid_output_breast_cancer(seed):
    return output_range_run("sigmoid", seed, "binary_crossentropy")
