"""Stalls: the training loss stops improving while the gradient norm falls. Saddle, plateau or minimum?

A stall alone does not say what is wrong. The curvature at the stall does (`diagnostics.hessian`):

- `saddle_point`: the smallest Hessian eigenvalue is clearly negative relative to the largest,
  so there is a direction that lowers the loss; the optimizer crawls along it because the
  gradient there is tiny. Escape is possible (perturb along that direction, raise the step size).
- `plateau`: the whole spectrum is near zero, so no direction is resolved within the window:
  the loss surface is flat (saturated units, tiny weights). Reported only when the loss is high,
  and only when the surface is flat around the weights too: steps too small for a surface that
  is not flat are a learning-rate problem (`underfitting`).
- `minimum`: curvature positive and not flat. Nothing is wrong unless the loss is high, which is
  underfitting (`diagnostics.generalization`), so no stall finding is made.

A loss that has stayed at chance level since the first epoch (`at_chance`) stalls whatever its
gradient norm does (at chance the minibatch gradient is label-sampling noise); a negative eigenvalue that gradient descent cannot
leave along within the run (`SADDLE_ESCAPE_EXPONENT`) is a plateau to the optimizer.

A stall that something else explains is not a saddle or a plateau of the loss surface:

- saturated or dead units, vanishing or all-zero gradients in the layer signals recorded up to the
  stall (found by `diagnostics.judge`): those findings name the cause, so no stall finding is made.
  Two exceptions: vanishing gradients are a plateau seen from the gradient side, so a plateau is
  still reported (naming them); and those findings add no negative curvature, so a saddle at a
  high loss whose negative eigenvalue is at least `SADDLE_DOMINANT_RATIO` of the largest is
  reported whatever else is found;
- an output whose range cannot reach the targets (a sigmoid asked for 3..103): the stall sits at
  the lowest loss that range allows (`bounded_output_floor`), reported as `output_loss_mismatch`;
- a classifier that has learned most of what it can: below `SADDLE_CHANCE_FRACTION` of the chance
  loss a negative eigenvalue is the noise of a minimum, not a saddle.

Example:

>>> stall_epochs([2.0, 1.0, 0.7, 0.699, 0.699, 0.699], [1.0, 0.5, 0.2, 0.1, 0.05, 0.02])
[5]
>>> classify_curvature(max_eigenvalue=4.0, min_eigenvalue=-2.0)
'saddle_point'
"""

import math

import numpy as np

from diagnostics._series import layer_matrix, layer_names, scalar_series
from diagnostics.findings import Finding

# Epochs over which "stopped improving" is judged; 3 lets one noisy epoch not end a stall.
STALL_WINDOW = 3
# Less than 1% of the run's loss scale gained in `STALL_WINDOW` epochs is no progress; healthy
# runs gain far more before they converge, and a converged run is told apart by its curvature.
STALL_IMPROVEMENT = 0.01
# A window whose best loss sits more than 10% of the run's scale above the best before it has not
# stopped at a level: the loss went back up (a setback, which the oscillation and instability
# rules judge), whereas a stalled loss hovers within noise of its best.
SETBACK = 0.1
# "While the gradient norm falls": it is no higher than `window` epochs ago and at most half its
# peak; a loss that stops improving with an undiminished gradient is a step-size problem.
GRAD_FALL = 0.5
# Negative curvature of at least 10% of the largest eigenvalue is a direction of descent that
# SGD noise and float32 HVPs do not explain (converged nets show a few percent at most).
SADDLE_RATIO = 0.1
# Along an eigenvalue -l gradient descent moves away from a saddle like exp(lr * l * steps). Less
# than exp(2) (~7x) over the planned run does not show as an escape within it: to the optimizer
# the saddle is a plateau.
SADDLE_ESCAPE_EXPONENT = 2.0
# Dead or saturated units and vanishing gradients add zero or tiny curvature, never strong negative
# curvature; at a stall (a near-critical point), a negative eigenvalue of at least half the largest
# is a saddle whatever else the layer signals show.
SADDLE_DOMINANT_RATIO = 0.5
# An eigenvalue is resolved within the window when `lr * eigenvalue * steps >= 0.1`, that is,
# gradient descent removes at least ~10% of the error along it; below that the surface is flat.
FLAT_PROGRESS = 0.1
# Without a learning rate: flat when moving every weight by the whole weight norm along the
# sharpest direction changes the loss by less than 10% of the loss.
FLAT_LOSS_FRACTION = 0.1
# A stall is a problem when the loss is still at least half of where training started
# (or at least 90% of chance level when that is known).
HIGH_LOSS_FRACTION = 0.5
CHANCE_FRACTION = 0.9
# A loss within 10% of chance, either side, is at chance: the predictions carry almost nothing
# about the labels, and the minibatch gradient there is label-sampling noise, which does not fall;
# a loss far above chance is confidently wrong, a step-size problem (`oscillation`).
AT_CHANCE_TOLERANCE = 0.1
# A saddle must stall well above what the run could reach: for a classifier, at least a tenth of
# the chance loss (below that the model already gets most samples right with confidence).
SADDLE_CHANCE_FRACTION = 0.1
# A stall within 10% above the lowest loss a bounded output allows is at that floor.
OUTPUT_FLOOR_MARGIN = 0.1
# The range of bounded output activations.
OUTPUT_RANGES = {"sigmoid": (0.0, 1.0), "hard_sigmoid": (0.0, 1.0), "softmax": (0.0, 1.0),
                 "tanh": (-1.0, 1.0), "softsign": (-1.0, 1.0)}
# The findings that explain a stall from the layer signals.
EXPLAINING_KINDS = ("saturation", "dead_relu", "vanishing_gradient", "zero_gradient")
# A layer with (nearly) every unit dead passes nothing on: the stall is that layer, whatever the
# curvature of what is left says.
DEAD_LAYER_FRACTION = 0.99
# One escape step along the negative-curvature eigenvector (its better sign) must lower the loss
# by more than float32 rounding of it (4 units in the last place, relative 2**-21): a drop within
# rounding shows no descent direction there. (The quadratic model's |lambda_min| t^2 / 2 is no
# floor: at the step's length, a deep net's higher-order terms can take most of it.)
ESCAPE_MIN_DROP = 2.0**-21
# Vanishing gradients are a plateau's flatness seen from the gradient side: they do not stop a
# plateau finding, its message names them.
PLATEAU_SIDE_KINDS = ("vanishing_gradient",)

SADDLE_ADVICE = [
    "Use momentum or an adaptive optimizer (Adam, RMSprop): they escape saddles much faster than plain SGD.",
    "Perturb the weights along the negative-curvature direction: StallMonitor(escape='perturb').",
    "Raise the learning rate for a while (StallMonitor(escape='lr')) or add gradient noise.",
    "Break symmetry at initialization: never start all weights at the same value (use Glorot/He).",
]

BOUNDED_OUTPUT_ADVICE = [
    "Use a linear output (no activation) for regression targets outside the output's range.",
    "Or scale the targets into the output's range (for example to [0, 1] for a sigmoid) and "
    "scale predictions back.",
    "Check that the loss fits the output: mse/mae for a linear output, crossentropy for "
    "sigmoid/softmax outputs with class labels.",
]

PLATEAU_ADVICE = [
    "Raise the learning rate, or use an adaptive optimizer (Adam) that rescales small gradients.",
    "Check for saturated sigmoid/tanh units or dead ReLUs; use ReLU-family activations with He init.",
    "Add batch normalization so that layers stay in their responsive range.",
    "Normalize the inputs (zero mean, unit variance).",
]


def stall_epochs(loss, grad_norm=None, window=STALL_WINDOW, min_improvement=STALL_IMPROVEMENT,
                 chance_loss=None):
    """Epochs at which a stall is first recognised, one per stall episode.

    At epoch `t >= window` the loss stalls when the best loss of the last `window` epochs is less
    than `min_improvement` below the best loss before them, relative to the scale of the run (the
    first loss, or the range of losses if larger), and the gradient norm (if given) is not above
    its value `window` epochs earlier and at most `GRAD_FALL` of its peak; a window whose best is
    more than `SETBACK` of the scale above the best before is a setback, not a stall. A loss that has been at
    `chance_loss` from the first epoch (`at_chance`) stalls whatever its gradient norm does (unless
    it is exactly zero). An episode ends when the loss improves again; the next stall starts a new one.

    Args:
        loss: training loss per epoch (or per block of steps).
        grad_norm: global gradient norm per epoch, or None.
        window: epochs in the judgement window.
        min_improvement: relative improvement below which the loss counts as stalled.
        chance_loss: loss of a model that guesses, if known.

    Returns:
        list of epoch indices (0-based), ascending.

    Example:

    >>> stall_epochs([2.303, 2.302, 2.302, 2.302], [0.2, 0.3, 0.2, 0.2], chance_loss=2.3026)
    [3]
    """
    loss = np.asarray(loss, dtype=float)
    grad = None if grad_norm is None else np.asarray(grad_norm, dtype=float)
    stalls, in_stall = [], False
    for t in range(window, len(loss)):
        recent = loss[t - window + 1 : t + 1]
        before = loss[: t - window + 1]
        if not (np.isfinite(recent).all() and np.isfinite(before).any()):
            in_stall = False
            continue
        best_before = np.nanmin(before)
        seen = np.concatenate([before[np.isfinite(before)], recent])
        # Progress is measured against the scale of the whole run (its first loss, or the range it
        # covered), so a loss that decays geometrically towards zero does stall eventually.
        scale = max(abs(seen[0]), seen.max() - seen.min(), 1e-12)
        gain = (best_before - recent.min()) / scale
        falling = True
        if grad is not None and t < len(grad) and grad[t] == 0.0:
            falling = False  # no gradient at all is no stall on a surface: see `zero_gradient`
        elif at_chance(seen, chance_loss):
            pass  # at chance the gradient is label-sampling noise: there is no fall to wait for
        elif grad is not None and t < len(grad) and np.isfinite(grad[t]) and np.isfinite(grad[t - window]):
            peak = np.nanmax(grad[: t + 1])
            falling = grad[t] <= grad[t - window] and grad[t] <= GRAD_FALL * peak
        stalled = -SETBACK <= gain < min_improvement and falling
        if stalled and not in_stall:
            stalls.append(t)
            in_stall = True
        elif gain >= min_improvement:
            in_stall = False
    return stalls


def at_chance(loss, chance_loss):
    """Whether every finite loss in `loss` (and at least one) lies within `AT_CHANCE_TOLERANCE`
    of a known `chance_loss`: the model has learned nothing since training began.

    Example:

    >>> at_chance([2.35, 2.31, 2.30], chance_loss=2.3026), at_chance([2.35, 2.0], chance_loss=2.3026)
    (True, False)
    """
    if chance_loss is None or not math.isfinite(chance_loss) or chance_loss <= 0:
        return False
    finite = np.asarray(loss, dtype=float)
    finite = finite[np.isfinite(finite)]
    return finite.size > 0 and bool(np.all(np.abs(finite - chance_loss) <= AT_CHANCE_TOLERANCE * chance_loss))


def began_at_start(initial_loss, loss, initial_grad_norm, grad_norm):
    """Whether a stall at chance since the first epoch began at the initial weights, judged on one
    fixed batch by the stall's own criteria: the loss is within `STALL_IMPROVEMENT` of the loss
    there (the run neither descended from them nor climbed away, as a step far too large does),
    and the gradient norm has not fallen to `GRAD_FALL` of its value there (a normal
    initialisation is no critical point: the run descends from it into a stall).

    Example:

    >>> began_at_start(2.3026, 2.3031, 0.062, 0.063), began_at_start(2.311, 2.537, 0.38, 0.26)
    (True, False)
    """
    values = (initial_loss, loss, initial_grad_norm, grad_norm)
    if not all(math.isfinite(value) for value in values):
        return False
    return abs(loss - initial_loss) < STALL_IMPROVEMENT * abs(initial_loss) and grad_norm >= GRAD_FALL * initial_grad_norm


def classify_curvature(max_eigenvalue, min_eigenvalue, learning_rate=None, steps=None,
                       weight_norm=None, loss=None, run_steps=None, stationary=False, adaptive=False):
    """`"saddle_point"`, `"plateau"` or `"minimum"` from the extreme Hessian eigenvalues.

    Negative curvature of at least `SADDLE_RATIO` of the largest is a saddle, unless
    `learning_rate` and `run_steps` (optimizer steps in the whole run) are given and gradient
    descent cannot leave along it within the run (`learning_rate * |min_eigenvalue| * run_steps <
    SADDLE_ESCAPE_EXPONENT`): then, as for a spectrum the optimizer does not resolve in the stall
    window (`learning_rate * max|eigenvalue| * steps < FLAT_PROGRESS`, `steps` in the window), the
    surface is a plateau to the optimizer. It is a plateau of the surface only if it is flat
    around the weights too (`surface_is_flat`, when `weight_norm` and `loss` are known); if not,
    the steps are too small for a surface that is not flat: a learning-rate problem
    (`underfitting`), reported as `"minimum"` (no stall finding). Without a learning rate,
    flatness is judged against the weights alone; with neither, only saddle and minimum are told
    apart. The escape bound assumes some component along the negative direction to grow; where
    whole layers sit exactly where their gradient is zero (`stationary`: a symmetric start), there
    is none, gradient descent never leaves at any rate, and negative curvature is a saddle. An
    adaptive optimizer (`adaptive`: Adam, RMSprop...) moves every coordinate by about its rate
    however small the gradient, and leaves a strict saddle within a few steps: for it, negative
    curvature at a stall that lasts is a saddle only where layers are held still (`stationary`);
    elsewhere the loss is held by something else (a model that cannot fit the data), flat or not.

    Example:

    >>> classify_curvature(0.1, -0.04, learning_rate=0.05, steps=120, run_steps=320)
    'plateau'
    >>> classify_curvature(0.1, -0.04, learning_rate=0.05, steps=120, run_steps=320, stationary=True)
    'saddle_point'
    >>> classify_curvature(0.1, -0.04, learning_rate=0.05, steps=120, run_steps=320, weight_norm=9.0, loss=2.3)
    'minimum'
    """
    radius = max(abs(max_eigenvalue), abs(min_eigenvalue))
    if radius == 0 or not math.isfinite(radius):
        return "plateau"
    flat = surface_is_flat(radius, weight_norm, loss)
    negative = min_eigenvalue < 0 and -min_eigenvalue >= SADDLE_RATIO * radius
    if learning_rate is None or steps is None:
        if negative and (stationary or not adaptive):
            return "saddle_point"
        return "plateau" if flat else "minimum"
    if negative:
        if stationary or run_steps is None or learning_rate * -min_eigenvalue * run_steps >= SADDLE_ESCAPE_EXPONENT:
            return "saddle_point"
        unresolved = True
    else:
        unresolved = learning_rate * radius * steps < FLAT_PROGRESS
    return "plateau" if unresolved and flat is not False else "minimum"


def surface_is_flat(radius, weight_norm, loss):
    """Whether moving every weight by the whole weight norm along the sharpest direction changes
    the loss by less than `FLAT_LOSS_FRACTION` of it; None when `weight_norm` or `loss` is unknown."""
    if weight_norm is None or loss is None or not math.isfinite(loss):
        return None
    return 0.5 * radius * weight_norm**2 < FLAT_LOSS_FRACTION * abs(loss)


def global_grad_norm(history):
    """Global gradient norm per epoch: `global_grad_norm` (if it holds a value), else combined from
    `grad_norm/<layer>` (root of the sum of squares), else None."""
    recorded = scalar_series(history, "global_grad_norm")
    if np.isfinite(recorded).any():
        return recorded
    layers = layer_names(history, "grad_norm")
    if not layers:
        return None
    values = layer_matrix(history, "grad_norm", layers)
    return np.sqrt(np.sum(values**2, axis=1))


def loss_is_high(loss, stall_loss, chance_loss=None):
    """Whether the loss at a stall is still high: near chance, or at least half the initial loss."""
    if chance_loss is not None and math.isfinite(chance_loss):
        return stall_loss >= CHANCE_FRACTION * chance_loss
    finite = np.asarray(loss, dtype=float)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0 or not math.isfinite(stall_loss):
        return False
    start = finite[0]
    return start > 0 and stall_loss >= HIGH_LOSS_FRACTION * start


def bounded_output_floor(targets, activation, loss="mse"):
    """The lowest loss an output bounded by `activation` can reach on `targets`, or None.

    Each target is best matched by the nearest value in the output's range; what remains is a
    floor no training can go below.

    Args:
        targets: regression targets (array).
        activation: name of the output activation (`OUTPUT_RANGES`); others are unbounded: None.
        loss: `"mse"` or `"mae"` (others: None).

    Returns:
        float or None.

    Example:

    >>> bounded_output_floor(np.array([3.0, 5.0]), "sigmoid")
    10.0
    """
    if activation not in OUTPUT_RANGES or loss not in ("mse", "mae"):
        return None
    targets = np.asarray(targets, dtype=float)
    low, high = OUTPUT_RANGES[activation]
    error = np.abs(targets - np.clip(targets, low, high))
    return float(np.mean(error**2 if loss == "mse" else error))


def curvature_can_matter(stall_loss, chance_loss=None):
    """Whether a curvature probe can change the judgement of a stall at `stall_loss`: not for a
    classifier already below `SADDLE_CHANCE_FRACTION` of its chance loss, where `judge_stall`
    reports neither a saddle nor a plateau (a converged run), so the probe would be wasted time.

    Example:

    >>> curvature_can_matter(0.001, chance_loss=2.3026), curvature_can_matter(0.001)
    (False, True)
    """
    if chance_loss is None or not math.isfinite(chance_loss) or not math.isfinite(stall_loss):
        return True
    return stall_loss >= SADDLE_CHANCE_FRACTION * chance_loss


def judge_stall(epoch, loss, curvature=None, chance_loss=None, learning_rate=None, steps=None, at=None,
                explaining=None, output_floor=None, run_steps=None, stationary=None, adaptive=False):
    """The finding for one stall, or None when it needs none.

    Findings of the layer signals (`explaining`, kinds `EXPLAINING_KINDS`) name the cause of a
    stall, so they stop a stall finding, except that vanishing gradients do not stop a plateau
    (the same flat surface; the message names them) and nothing stops a saddle at a high loss
    whose negative eigenvalue is at least `SADDLE_DOMINANT_RATIO` of the largest (dead, saturated
    units and vanishing gradients add no negative curvature), unless a layer is wholly dead
    (`DEAD_LAYER_FRACTION`) and the curvature was probed there: nothing passes through it, and
    that, not the curvature, is the stall (probed at the initial weights, where the stall began,
    the saddle came first and the units died in it).
    A saddle needs its own evidence too: where the probe measured the loss one escape step along
    the negative direction, that step must lower it (`escape_lowers_loss`); otherwise the stall
    is a plateau.

    Args:
        epoch: epoch of the stall.
        loss: training loss per epoch up to (at least) the stall.
        curvature: dict with `max_eigenvalue`, `min_eigenvalue` (and optionally `weight_norm`,
            `hvps`, `trace`, `escape_drop`, `escape_predicted`, and `weights`: `"initial"` when
            probed at the initial weights) from a probe at the stall; None if not probed.
        chance_loss: loss of a model that guesses (e.g. log(num_classes)), if known.
        learning_rate, steps: learning rate and optimizer steps in the stall window, if known.
        at: index of the stall in `loss` when `loss` is not per epoch (blocks of steps);
            default `epoch`.
        explaining: findings of the layer signals up to the stall (`EXPLAINING_KINDS`), which
            explain it; None or [] when there are none.
        output_floor: the lowest loss the output's range allows (`bounded_output_floor`), if
            the output is bounded.
        run_steps: optimizer steps in the whole run, if known (see `classify_curvature`).
        stationary: the layers whose gradient was exactly zero up to the stall while others'
            was not (`stationary_layers`); unless a layer-signal finding explains the stall, they
            make negative curvature a saddle at any escape rate (`classify_curvature`).
        adaptive: whether the optimizer's steps are normalized (Adam, RMSprop...): then negative
            curvature is a saddle only with `stationary` layers (`classify_curvature`).

    Returns:
        a `Finding` of kind `saddle_point`, `plateau` or `output_loss_mismatch`, or None.

    Example:

    >>> judge_stall(3, [2.303, 2.302, 2.302, 2.302], {"max_eigenvalue": 0.3, "min_eigenvalue": -0.3},
    ...             chance_loss=2.3026).kind
    'saddle_point'
    """
    loss = np.asarray(loss, dtype=float)
    stall_loss = float(loss[min(epoch if at is None else at, len(loss) - 1)])
    high = loss_is_high(loss, stall_loss, chance_loss)
    evidence = {"loss": stall_loss, "initial_loss": float(loss[0])}
    if output_floor is not None and output_floor > 0 and stall_loss <= (1 + OUTPUT_FLOOR_MARGIN) * output_floor:
        evidence["output_floor"] = float(output_floor)
        return Finding(
            kind="output_loss_mismatch", severity="error", epoch=int(epoch), layer=None,
            message=(f"Training stalled at loss {stall_loss:.4g} from epoch {epoch}, at the lowest loss "
                     f"the output's range allows ({output_floor:.4g}): the targets lie outside what the "
                     "output activation can produce, so no optimizer can go further. This is not a "
                     "saddle point or a plateau of the loss surface."),
            evidence=evidence, advice=list(BOUNDED_OUTPUT_ADVICE),
        )
    explained = [f for f in explaining or [] if f.kind in EXPLAINING_KINDS]
    if curvature is None:
        if not high or explained:
            return None
        return Finding(
            kind="plateau", severity="warning", epoch=int(epoch), layer=None,
            message=(f"Training stalled at loss {stall_loss:.4g} from epoch {epoch} while the gradient "
                     "norm fell; the curvature was not probed (no probe batch could be kept: string "
                     "or ragged inputs, or a model without `call()` or a loss; pass `probe_data` to "
                     "StallMonitor; or more than `max_probes` stalls), so a saddle point cannot "
                     "be told apart from a plateau."),
            evidence=evidence, advice=list(PLATEAU_ADVICE),
        )
    lam_max = float(curvature["max_eigenvalue"])
    lam_min = float(curvature["min_eigenvalue"])
    stationary = list(stationary or []) if not explained else []
    kind = classify_curvature(lam_max, lam_min, learning_rate, steps,
                              curvature.get("weight_norm"), stall_loss, run_steps, bool(stationary), adaptive)
    if stationary:
        evidence["stationary_layers"] = stationary
    evidence.update({key: float(value) for key, value in curvature.items()
                     if isinstance(value, (int, float)) and not isinstance(value, bool)})
    radius = max(abs(lam_max), abs(lam_min))
    negative_ratio = -lam_min / radius if radius > 0 else 0.0
    evidence["negative_ratio"] = negative_ratio
    if learning_rate is not None and run_steps is not None:
        evidence["escape_exponent"] = float(learning_rate * max(0.0, -lam_min) * run_steps)
    low = not curvature_can_matter(stall_loss, chance_loss)
    # Probed at the initial weights, the saddle came first: units that died in it are its effect.
    blocked = curvature.get("weights") != "initial" and any(
        f.kind == "zero_gradient" or f.evidence.get("dead_frac", 0.0) >= DEAD_LAYER_FRACTION for f in explained)
    dominant = high and negative_ratio >= SADDLE_DOMINANT_RATIO and not blocked
    if kind == "saddle_point" and not escape_lowers_loss(curvature):
        kind = "plateau"  # the negative direction does not lower the loss within a step: flat there
    stalled = f"Training stalled at loss {stall_loss:.4g} from epoch {epoch}"
    if kind == "saddle_point" and not low and (dominant or not explained):
        message = (f"{stalled} at a saddle point: the Hessian has eigenvalue {lam_min:.3g} against a "
                   f"largest of {lam_max:.3g}, so the loss still falls along a direction the optimizer "
                   "barely moves in." + _stationary_sentence(stationary)
                   + _also_found(explained, "They add no negative curvature: the saddle is the stall's cause."))
        return Finding("saddle_point", "warning", int(epoch), None, message, evidence, list(SADDLE_ADVICE))
    if kind == "plateau" and high and all(f.kind in PLATEAU_SIDE_KINDS for f in explained):
        message = (f"{stalled} on a plateau: the Hessian spectrum is nearly flat (eigenvalues from "
                   f"{lam_min:.3g} to {lam_max:.3g}), so the gradient carries almost no information about "
                   "where to go." + _also_found(explained, "They are this flatness seen from the gradient side."))
        return Finding("plateau", "warning", int(epoch), None, message, evidence, list(PLATEAU_ADVICE))
    return None


def stationary_layers(history, epoch):
    """The layers whose gradient norm (`grad_norm/<layer>`) was exactly 0 at every epoch up to
    `epoch` while some other layer's was not: their weights sit exactly where the loss is flat in
    their coordinates (zero kernels facing each other), and no step moves them.

    Example:

    >>> stationary_layers({"grad_norm/a": [0.0, 0.0, 0.0], "grad_norm/b": [0.2, 0.1, 0.1]}, 2)
    ['a']
    >>> stationary_layers({"grad_norm/a": [0.0, 1e-9, 0.0], "grad_norm/b": [0.2, 0.1, 0.1]}, 2)
    []
    """
    layers = layer_names(history, "grad_norm")
    norms = layer_matrix(history, "grad_norm", layers)[: int(epoch) + 1]
    if norms.size == 0 or not np.isfinite(norms).all():
        return []
    still = (norms == 0).all(axis=0)
    return [layer for layer, flat in zip(layers, still) if flat] if not still.all() else []


def _stationary_sentence(layers):
    """The message's sentence on `stationary_layers`, or ''."""
    if not layers:
        return ""
    return (f" The gradient of layer(s) {', '.join(repr(name) for name in layers)} has been exactly zero from "
            "the start: the weights sit on the saddle's symmetric point, which no optimizer step leaves.")


def escape_lowers_loss(curvature):
    """Whether the escape step the probe measured lowered the loss (`escape_drop`, relative) by more
    than `ESCAPE_MIN_DROP`; True when it was not measured.

    Example:

    >>> escape_lowers_loss({"escape_drop": 9e-7}), escape_lowers_loss({})
    (True, True)
    >>> escape_lowers_loss({"escape_drop": 1e-7}), escape_lowers_loss({"escape_drop": -1e-4})
    (False, False)
    """
    drop = curvature.get("escape_drop")
    return drop is None or drop > ESCAPE_MIN_DROP


def _also_found(findings, meaning):
    """A sentence naming the other `findings` at the stall and what they mean for it, or ''."""
    if not findings:
        return ""
    named = ", ".join(sorted({f.kind.replace("_", " ") + (f" in layer '{f.layer}'" if f.layer else "")
                              for f in findings}))
    return f" Also found: {named}. {meaning}"


def detect_stalls(history, probes=None, chance_loss=None, window=STALL_WINDOW, loss_key="loss", explaining=None):
    """Stall findings over a recorded run.

    Args:
        history: `{key: [value per epoch]}` with `loss_key` and optionally the gradient norm
            (`global_grad_norm` or `grad_norm/<layer>`).
        probes: list of curvature probes as recorded by `StallMonitor` (dicts with `epoch`,
            `max_eigenvalue`, `min_eigenvalue`, and for SGD `learning_rate`, `steps`,
            `run_steps`), or None.
        chance_loss: loss at chance level, if known.
        window: stall window in epochs.
        explaining: findings of the layer signals (see `judge_stall`); each explains the stalls
            from its epoch on.

    Returns:
        list of `Finding`.
    """
    loss = scalar_series(history, loss_key)
    if loss.size <= window:
        return []
    by_epoch = {int(p["epoch"]): p for p in (probes or [])}
    findings = []
    for epoch in stall_epochs(loss, global_grad_norm(history), window, chance_loss=chance_loss):
        probe = by_epoch.get(epoch)
        curvature = None
        learning_rate = steps = run_steps = None
        if probe is not None:
            curvature = {k: v for k, v in probe.items() if k not in ("epoch", "learning_rate", "steps", "run_steps")}
            learning_rate, steps, run_steps = probe.get("learning_rate"), probe.get("steps"), probe.get("run_steps")
        finding = judge_stall(epoch, loss, curvature, chance_loss, learning_rate, steps,
                              explaining=[f for f in explaining or [] if f.epoch <= epoch], run_steps=run_steps,
                              stationary=stationary_layers(history, epoch))
        if finding is not None:
            findings.append(finding)
    return findings


# A step off a saddle along the negative-curvature direction v: the quadratic model predicts
# a loss drop of |lambda_min| t^2 / 2; aim for 10% of the loss, enough to leave the saddle's
# neighbourhood, small enough to stay where the quadratic model holds.
ESCAPE_LOSS_FRACTION = 0.1
# ... and never move the weights by more than 10% of their norm (plus a floor for weights near 0).
ESCAPE_MAX_RELATIVE_STEP = 0.1
ESCAPE_MIN_STEP = 1e-2


def escape_step(min_eigenvalue, loss, weight_norm):
    """Length of the step along the negative-curvature eigenvector to escape a saddle (0 if none)."""
    if not min_eigenvalue < 0:
        return 0.0
    target = ESCAPE_LOSS_FRACTION * max(abs(loss), 1e-3)
    step = math.sqrt(2.0 * target / abs(min_eigenvalue))
    return float(min(step, max(ESCAPE_MAX_RELATIVE_STEP * weight_norm, ESCAPE_MIN_STEP)))
