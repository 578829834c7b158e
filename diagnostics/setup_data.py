"""What the first rows of data say before training: labels against outputs, input scales.

Pure NumPy judgement over arrays (all the rows `check_setup` is given, or the rows a monitor
captured inside the first training steps), with the model read by `diagnostics.setup_model`:

- `label_mismatch`: targets holding NaN or inf, labels that do not fit the loss or the output's
  range (multi-hot rows for a softmax under a regression loss), validation classes that the
  training labels never show
  (`check_validation_labels`);
- `output_loss_mismatch`: class labels (one-hot rows, 0/1) scored by a regression loss through a
  softmax or sigmoid (`check_class_targets_under_regression_loss`);
- `unnormalized_input`: non-finite values, an input constant in every feature, scales far from 1
  or far apart, features far from zero for their spread into ReLU units, training and
  validation on different scales. A single constant feature is no
  finding: pixels that are always off and rare categories are constant in any sample, and stay
  constant (at a non-zero value) once standardized;
- `suspicious_config`: a validation set that copies the training set, judged on whole rows
  (`check_validation_copy`) or on row fingerprints gathered in the steps of `fit`
  (`check_validation_fingerprints`), by the same rule.

Example:

>>> import numpy as np
>>> from diagnostics.setup_model import InputSetup
>>> x = np.random.default_rng(0).uniform(0, 3e9, size=(100, 4))
>>> [f.kind for f in check_inputs([InputSetup("input", "raw")], [x])]
['unnormalized_input']
"""

import numpy as np

from diagnostics.findings import NEEDS_CONSEQUENCE, Finding
from diagnostics.setup_model import ACTIVATION_RANGES

# -- thresholds ------------------------------------------------------------------------------------

# Largest |input| treated as near unit scale. Raw 8-bit pixels (255) and sklearn digits (0..16)
# train well with default initializers and Adam (UMLAUT flagged such healthy runs); beyond 1e3 a
# Glorot layer's pre-activations reach 1e3 * sqrt(fan_in) and saturate or explode.
MAX_INPUT_SCALE = 1e3
# Beyond 50 (raw 0-255 pixels, counts, ages in days) a Glorot layer's first pre-activations and
# the logits start in the tens to hundreds. Many such runs still train well, so this scale is
# reported only when the run shows the harm: a first loss far above chance
# (`INPUT_SCALE_LOSS_FACTOR`), or a consequence the judge finds (evidence `NEEDS_CONSEQUENCE`).
MODERATE_INPUT_SCALE = 50.0
# A first epoch whose mean training loss is twice the chance loss or more did worse than guessing
# throughout: outputs blown up by the input scale, not a slow start.
INPUT_SCALE_LOSS_FACTOR = 2.0
# Smallest largest-|input| treated as near unit scale: inputs divided by 255 twice (0.004) still
# train; below 1e-3 the first layer's weight gradients, proportional to its input, are a thousand
# times smaller than the other layers'.
MIN_INPUT_SCALE = 1e-3
# Below 0.01 (pixels divided by 255 twice: 0.004) the first layer's weight gradients, proportional
# to its inputs, are a hundred times smaller than at unit scale and its pre-activations are about
# its biases. Many such runs still train (Adam rescales the steps), so this scale is reported only
# beside a consequence the judge finds (evidence `NEEDS_CONSEQUENCE`).
SMALL_INPUT_SCALE = 1e-2
# Ratio of the largest to the smallest per-feature max |x| of tabular inputs: the loss's curvature
# along a feature's weights grows with x^2, so three orders of magnitude make it 1e6 times steeper
# along one than another, and no single learning rate suits both.
MAX_FEATURE_SCALE_RATIO = 1e3
# Ratio of training to validation RMS (either way) that says they were scaled differently: a
# same-distribution sample of 100+ rows stays within a few percent; /255 on one side gives 255.
MAX_TRAIN_VALIDATION_SCALE_RATIO = 10.0
# A feature whose |mean| is this many standard deviations from zero is uncentred: a ReLU unit's
# pre-activation w.x is then dominated by the constant w.mean, on the same side of zero for
# (nearly) every row, so the unit is dead or linear; and the loss is (mean/std)^2 = 100 times
# steeper along the mean than along the variation that carries the signal (LeCun et al., 1998,
# "Efficient BackProp": centre the inputs). Raw iris (7.1) and breast-cancer (8.9) stay below.
MAX_MEAN_OVER_STD = 10.0
# First-layer activations whose units have one flat side, which an uncentred input keeps them on.
RECTIFIED_ACTIVATIONS = ("relu", "relu6", "elu", "selu", "gelu", "silu")
# GaussianNoise on the raw inputs with a stddev twice the features' typical spread (their median
# standard deviation) leaves a signal-to-noise ratio of 1/4 in power: most of what each row says is
# drawn anew at every step. Denoising autoencoders train well at such ratios (their target is the
# clean row), so it is reported only beside a consequence the judge finds (`NEEDS_CONSEQUENCE`).
NOISE_OVER_SPREAD = 2.0
# A class seen in validation is judged missing from training only when the training rows counted
# would have held this many of it at its validation share: absent by chance with probability
# about exp(-10) = 5e-5.
MIN_EXPECTED_CLASS_ROWS = 10
# Fraction of validation rows found in the training rows that makes the validation set a copy.
COPY_FRACTION = 0.9
# Smallest share of the epoch's training rows the training fingerprints must cover for a copy to be
# judged from them: a copy then shows about that share of validation rows found, and with 512 of
# them the found share, divided by the coverage, falls under COPY_FRACTION with probability 5e-5
# (at 0.5 coverage, 1%). A genuine split stays quiet at any coverage.
MIN_COPY_COVERAGE = 0.75
# Fewest validation rows on which a copy is judged: a handful can coincide by chance.
MIN_ROWS_COPY = 8
# Fraction of distinct rows the training sample needs for row overlap to mean anything: one-hot or
# coarse inputs repeat rows naturally.
MIN_DISTINCT_FRACTION = 0.9
# Regression targets whose mean or spread is 100 or more, under a linear output: the output starts
# at unit scale, Adam moves each weight by about its learning rate per step (thousands of steps to
# reach the hundreds), and SGD's gradient grows with the error (it overshoots and blows up).
MAX_TARGET_SCALE = 100.0
# An epoch of this many optimizer steps or fewer has batches as large as half the data (a
# full-batch fit): a few dozen epochs are a few dozen updates. (A small dataset in mini-batches,
# 64 rows in batches of 16, makes more steps and is no such fit.)
FEW_STEPS_PER_EPOCH = 2
# An epoch that showed each of its distinct rows 4 times or more on average repeats a small part
# of the data (a `take()` left in a pipeline, a tiny set repeated by `steps_per_epoch`); a whole
# pass, oversampled minority rows included, stays above it.
MAX_REPEATED_DISTINCT_SHARE = 0.25
# ... and it is a small part only when most validation rows are new to it (coarse inputs with few
# possible rows repeat in both).
MAX_REPEATED_VALIDATION_SEEN = 0.5
# Share of the rows seen in two passes over the data whose label changed between them that says the
# labels are shuffled apart from their rows: a fixed dataset changes none (duplicated rows keep
# their set of labels); features and labels shuffled by two pipelines change 1 - 1/classes of them.
RELABELLED_SHARE = 0.2
# Fewest rows seen in both passes on which that share is judged: below, a few augmented or
# colliding rows could make it.
MIN_RECHECKED_ROWS = 64
# Fewest labels on which "every label is the same class" is judged from a sample of rows (not from
# a whole epoch's counts): a 1% class is missing from 1,000 random rows with probability 4e-5.
MIN_ROWS_SINGLE_CLASS = 1000


# -- inputs ----------------------------------------------------------------------------------------


def check_inputs(inputs, arrays, validation_arrays=None, first_loss_over_chance=None):
    """Judges the input rows of each model input.

    Args:
        inputs: the model's `InputSetup`s (from `describe_model`).
        arrays: one array of rows per input (None where there is none).
        validation_arrays: validation rows per input, or None.
        first_loss_over_chance: the first epoch's mean training loss divided by the chance loss,
            once known; inputs above `MODERATE_INPUT_SCALE` are judged only with it.

    Returns:
        A list of `unnormalized_input` `Finding`s (and a `suspicious_config` for noise that
        drowns them), epoch 0.
    """
    findings = []
    validation_arrays = validation_arrays or [None] * len(arrays)
    for setup, rows, validation_rows in zip(inputs, arrays, validation_arrays):
        if rows is None or setup.treatment == "tokens" or not _is_numeric(rows):
            continue
        rows = _as_float(rows)
        findings += _check_finite_and_constant(setup.name, rows)
        if setup.treatment == "raw":
            rectified = bool(set(setup.first_activations) & set(RECTIFIED_ACTIVATIONS))
            findings += _check_scale(setup.name, rows, first_loss_over_chance, rectified, unadapted=setup.unadapted)
        elif setup.rescaling:  # the model's own Rescaling: judge what the first weighted layer sees
            scale, offset = setup.rescaling
            findings += _check_scale(setup.name, rows * scale + offset, first_loss_over_chance,
                                     after=f"after its Rescaling(scale={scale:.3g}, offset={offset:g})")
        if setup.noise:
            findings += _check_input_noise(setup.name, rows, *setup.noise)
        if validation_rows is not None and _is_numeric(validation_rows):
            findings += _check_train_validation_scale(
                setup.name, rows, _as_float(validation_rows))
    return findings


def _as_float(rows):
    """`rows` as float64 if they are, else as float32: extremes and moments need no more, and a
    float64 copy of a few hundred images would double what this check holds in memory."""
    rows = np.asarray(rows)
    return rows if rows.dtype == np.float64 else rows.astype(np.float32)


def check_validation_copy(train_rows, validation_rows):
    """A `suspicious_config` finding when the validation rows copy the training rows, else [].

    Args:
        train_rows, validation_rows: arrays of rows of one input (in the same dtype), or None.

    Returns:
        A list with at most one `Finding`.
    """
    if train_rows is None or validation_rows is None:
        return []
    return check_validation_fingerprints(_row_keys(train_rows), _row_keys(validation_rows))


def check_validation_fingerprints(train_fingerprints, validation_fingerprints, coverage=1.0):
    """A `suspicious_config` finding when the validation rows copy the training rows, judged on
    one fingerprint (or key) per row, else [].

    The share of validation fingerprints found among the training ones, divided by the share of
    the epoch's training rows those cover, estimates the share of validation rows that are
    training rows; at COPY_FRACTION or more, the validation set copies the training set. Judged
    only with MIN_ROWS_COPY validation rows, a coverage of MIN_COPY_COVERAGE, and training rows
    that are mostly distinct (MIN_DISTINCT_FRACTION).

    Args:
        train_fingerprints: one integer per training row seen (every row of an epoch, or the
            first ones), or None.
        validation_fingerprints: one integer per validation row seen, or None.
        coverage: share of the epoch's training rows that `train_fingerprints` cover (0 to 1),
            or None if unknown (then nothing is judged).

    Returns:
        A list with at most one `Finding`.

    Example:

    >>> check_validation_fingerprints(np.arange(100), np.arange(50, 10, -1))[0].kind
    'suspicious_config'
    """
    if (train_fingerprints is None or validation_fingerprints is None or coverage is None
            or coverage < MIN_COPY_COVERAGE or len(validation_fingerprints) < MIN_ROWS_COPY):
        return []
    train = np.asarray(train_fingerprints)
    if np.unique(train).size / train.size < MIN_DISTINCT_FRACTION:
        return []
    found = float(np.mean(np.isin(validation_fingerprints, train)))
    copied = min(1.0, found / coverage)
    if copied < COPY_FRACTION:
        return []
    return [Finding(
        "suspicious_config", "error", 0, None,
        f"validation_data copies the training data: {copied:.0%} of the validation rows seen are "
        "training rows, so validation scores measure memorization, not generalization.",
        {"validation_rows_in_training": copied, "validation_rows": len(validation_fingerprints),
         "training_coverage": float(coverage)},
        ["Hold out rows the model never trains on (validation_split, or a separate split).",
         "Split before any resampling or augmentation, so copies do not leak across."],
    )]


def check_sample_weights(sample_weight):
    """A `suspicious_config` error when every kept training row has a sample weight of 0: the
    weighted loss is exactly 0, so no gradient reaches any weight (a mask computed wrongly, such
    as `(y == 10)` on digits 0-9, or class weights of 0).

    Args:
        sample_weight: the sample weights of the kept training rows (or None without them).

    Returns:
        A list with at most one `Finding` (evidence `zero_sample_weights`: the rows judged).

    Example:

    >>> [f.evidence["zero_sample_weights"] for f in check_sample_weights(np.zeros(64))]
    [64]
    """
    if sample_weight is None:
        return []
    try:
        weights = np.asarray(sample_weight, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):  # one array per output, of several shapes: not judged here
        return []
    if weights.size < MIN_ROWS_COPY or np.any(weights != 0):
        return []
    return [Finding(
        "suspicious_config", "error", 0, None,
        f"every one of the {weights.size} training rows kept has a sample weight of 0: the weighted loss "
        "is exactly 0, so no gradient reaches any weight and nothing trains.",
        {"zero_sample_weights": int(weights.size)},
        ["Check how the sample weights (or class weights) are computed: print np.unique(sample_weight)."],
    )]


def check_steps_per_epoch(steps, epochs=None):
    """A `suspicious_config` hypothesis for epochs of `FEW_STEPS_PER_EPOCH` steps or fewer: the
    whole fit makes a handful of updates (a batch size as large as the data). It stands only
    beside the underfitting or stall it explains (`NEEDS_CONSEQUENCE`).

    Args:
        steps: optimizer steps per epoch (`params["steps"]`), or None if unknown.
        epochs: the planned epochs, or None.

    Returns:
        A list with at most one `Finding` (evidence `steps_per_epoch`).

    Example:

    >>> [f.evidence["steps_per_epoch"] for f in check_steps_per_epoch(1, epochs=30)]
    [1]
    """
    if not isinstance(steps, int) or isinstance(steps, bool) or not 0 < steps <= FEW_STEPS_PER_EPOCH:
        return []
    total = f" ({steps * epochs} in all {epochs} epochs)" if isinstance(epochs, int) else ""
    return [Finding(
        "suspicious_config", "warning", 0, None,
        f"each epoch makes {steps} optimizer step(s){total}: the batches are as large as the data, and "
        "so few updates cannot take the weights far from where they started.",
        {"steps_per_epoch": steps, NEEDS_CONSEQUENCE: True},
        ["Use mini-batches (batch_size=32): each epoch then makes one step per 32 rows."],
    )]


def check_repeated_rows(train_fingerprints, validation_fingerprints):
    """A `suspicious_config` hypothesis when the first epoch showed a few rows again and again
    while the validation rows are mostly others: the model trains on a small part of the data,
    judged on one fingerprint per row seen.

    Distinct rows at most `MAX_REPEATED_DISTINCT_SHARE` of the rows seen, and at most
    `MAX_REPEATED_VALIDATION_SEEN` of the validation rows among them. It stands only beside a
    consequence it explains (the overfitting of a model that memorizes the few rows it sees):
    a small dataset repeated on purpose trains well, and then says nothing.

    Args:
        train_fingerprints: one integer per training row the first epoch showed, or None.
        validation_fingerprints: one integer per validation row seen, or None.

    Returns:
        A list with at most one `Finding` (evidence `repeated_rows`: the rows seen per distinct row).

    Example:

    >>> one_batch = np.tile(np.arange(32), 40)
    >>> check_repeated_rows(one_batch, np.arange(100, 400))[0].evidence["distinct_rows"]
    32
    """
    if train_fingerprints is None or validation_fingerprints is None or len(validation_fingerprints) < MIN_ROWS_COPY:
        return []
    train = np.asarray(train_fingerprints)
    distinct = np.unique(train)
    if not train.size or distinct.size / train.size > MAX_REPEATED_DISTINCT_SHARE:
        return []
    seen = float(np.mean(np.isin(validation_fingerprints, distinct)))
    if seen > MAX_REPEATED_VALIDATION_SEEN:
        return []
    times = train.size / distinct.size
    return [Finding(
        "suspicious_config", "warning", 0, None,
        f"the first epoch trained on {distinct.size} distinct rows, each about {times:.0f} times, while "
        f"{1 - seen:.0%} of the validation rows are none of them: the model sees a small part of the data "
        "again and again (a `take()` left in the pipeline, or a small set repeated by `steps_per_epoch`).",
        {"repeated_rows": float(times), "distinct_rows": int(distinct.size), "rows_seen": int(train.size),
         NEEDS_CONSEQUENCE: True},
        ["Feed the whole training set: remove a `take()` or `shard()` left in the pipeline, and check "
         "that `steps_per_epoch` x batch size is about the number of training rows."],
    )]


def check_label_pairs(first, second, output_layer=None):
    """A `label_mismatch` finding when the rows seen in two passes over the training data carry
    other labels in the second pass than in the first, else [].

    A dataset pairs each row with its label for good: a row seen again has the same label (a row
    that occurs several times, the same set of labels). When the features and the labels are
    shuffled by two pipelines and zipped, each pass pairs every row with a random label, and
    `RELABELLED_SHARE` or more of the rows seen twice change label. Judged on
    `MIN_RECHECKED_ROWS` rows seen in both passes at least.

    Args:
        first, second: int arrays of shape `(rows, 2)`, one `(row fingerprint, label
            fingerprint)` pair per training row of the first and of the second pass, or None.
        output_layer: the name of the layer the labels are for, or None.

    Returns:
        A list with at most one `Finding` (evidence `relabelled_share`).

    Example:

    >>> rows = np.arange(100)
    >>> first = np.stack([rows, rows % 10], axis=1)
    >>> second = np.stack([rows, (rows + 3) % 10], axis=1)
    >>> check_label_pairs(first, second)[0].evidence["relabelled_rows"]
    100
    """
    if first is None or second is None or len(first) == 0 or len(second) == 0:
        return []
    first, second = np.asarray(first), np.asarray(second)
    known = np.isin(second[:, 0], first[:, 0])
    rechecked = int(known.sum())
    if rechecked < MIN_RECHECKED_ROWS:
        return []
    # A row seen again keeps its label when (row, label) was a pair of the first pass.
    relabelled = int(np.count_nonzero(~np.isin(_pair_keys(second[known]), _pair_keys(first))))
    share = relabelled / rechecked
    if share < RELABELLED_SHARE:
        return []
    return [Finding(
        "label_mismatch", "error", 0, output_layer,
        f"The labels are shuffled apart from their inputs: {relabelled} of {rechecked} training rows "
        f"seen in two passes over the data ({share:.0%}) came with another label the second time. "
        "Each pass pairs the inputs with other labels, so there is nothing to learn (two datasets "
        "shuffled separately and zipped do this).",
        {"relabelled_share": share, "relabelled_rows": relabelled, "rechecked_rows": rechecked},
        ["Shuffle inputs and labels together: one dataset of (x, y) pairs, "
         "tf.data.Dataset.from_tensor_slices((x, y)).shuffle(n), not two shuffled datasets zipped."],
    )]


def _pair_keys(pairs):
    """One int64 per `(row, label)` pair of an int32 `(n, 2)` array."""
    return (pairs[:, 0].astype(np.int64) << 32) | (pairs[:, 1].astype(np.int64) & 0xFFFFFFFF)


def is_validation_copy(finding):
    """Whether `finding` is the one of `check_validation_copy` or `check_validation_fingerprints`."""
    return finding.kind == "suspicious_config" and "validation_rows_in_training" in finding.evidence


def _check_finite_and_constant(name, rows):
    findings = []
    flat = rows.reshape(len(rows), -1)
    finite = np.isfinite(flat)
    if not finite.all():
        bad = int(flat.size - finite.sum())
        findings.append(Finding(
            "unnormalized_input", "error", 0, name,
            f"input {name!r} holds {bad} NaN or infinite values; they turn the loss and every "
            "gradient NaN at the first step that reads them.",
            {"non_finite_inputs": bad, "non_finite_fraction": bad / flat.size},
            ["Impute missing values (column mean or median) or drop those rows.",
             "Look for a division by zero or a log of zero in the preprocessing."],
        ))
    if len(flat) < 2:
        return findings
    finite_only = np.where(finite, flat, np.nan)
    low, high = np.nanmin(finite_only, axis=0), np.nanmax(finite_only, axis=0)
    del finite_only
    constant = low == high
    if constant.all():
        findings.append(Finding(
            "unnormalized_input", "error", 0, name,
            f"input {name!r} is the same in every row seen ({len(flat)} rows): it carries no "
            "information, so the model can only learn the label frequencies.",
            {"rows": len(flat), "constant_value": float(low.flat[0])},
            ["Check the loading and preprocessing (an integer division x // 255 gives zeros).",
             "Print a few rows before fit."],
        ))
    return findings


def _check_scale(name, rows, first_loss_over_chance=None, rectified=False, after=None, unadapted=""):
    """An `unnormalized_input` finding for rows off unit scale (`after`: the model's Rescaling
    that made them, said in the message; `unadapted`: the never-adapted Normalization layer they
    pass through unchanged), or none."""
    magnitude = np.abs(np.where(np.isfinite(rows), rows, 0.0))
    largest = float(magnitude.max()) if magnitude.size else 0.0
    problems, evidence, unconfirmed = [], {"input_max_abs": largest}, False
    if after is not None:
        evidence["after_rescaling"] = True
    where = "" if after is None else " " + after
    if unadapted:
        evidence["unadapted_normalization"] = unadapted
        where = (f" (through its Normalization layer {unadapted!r}, which was never adapted and passes the "
                 "values unchanged)")
    if largest > MAX_INPUT_SCALE:
        problems.append(f"values reach {largest:.3g}, far above unit scale")
        evidence["max_input_scale"] = MAX_INPUT_SCALE
    elif largest > MODERATE_INPUT_SCALE:
        evidence["moderate_input_scale"] = MODERATE_INPUT_SCALE
        if first_loss_over_chance is not None and first_loss_over_chance >= INPUT_SCALE_LOSS_FACTOR:
            problems.append(f"values reach {largest:.3g}, and the first epoch's loss was "
                            f"{first_loss_over_chance:.3g} times the chance loss")
            evidence["first_loss_over_chance"] = float(first_loss_over_chance)
        else:
            problems.append(f"values reach {largest:.3g}, well above unit scale")
            unconfirmed = True
    elif 0.0 < largest < MIN_INPUT_SCALE:
        problems.append(f"values never exceed {largest:.3g}, far below unit scale")
        evidence["min_input_scale"] = MIN_INPUT_SCALE
    elif 0.0 < largest < SMALL_INPUT_SCALE:
        problems.append(f"values never exceed {largest:.3g}, well below unit scale (divided twice?)")
        evidence["small_input_scale"] = SMALL_INPUT_SCALE
        unconfirmed = True
    # After the model's Rescaling only the overall scale is judged: one factor for every feature
    # is what the user chose there, and the spread between features is the raw data's.
    if rows.ndim == 2 and len(rows) > 1 and after is None:
        per_feature = magnitude.max(axis=0)
        varying = per_feature[np.ptp(rows, axis=0) > 0]
        if varying.size > 1 and varying.min() > 0:
            ratio = float(varying.max() / varying.min())
            evidence["feature_scale_ratio"] = ratio
            if ratio > MAX_FEATURE_SCALE_RATIO:
                big, small = int(np.argmax(per_feature)), int(
                    np.flatnonzero(per_feature == varying.min())[0])
                problems.append(f"feature scales are {ratio:.3g} times apart (feature {big} "
                                f"reaches {per_feature[big]:.3g}, feature {small} only "
                                f"{per_feature[small]:.3g})")
    if rectified and rows.ndim == 2 and len(rows) > 1:
        problems += _uncentred_features(rows, evidence)
    if not problems:
        return []
    if unconfirmed and len(problems) == 1:
        # Many runs on such scales train well: the judge keeps this only beside a consequence.
        evidence[NEEDS_CONSEQUENCE] = True
    return [Finding(
        "unnormalized_input", "warning", 0, name,
        f"input {name!r}{where} is not normalized: {'; '.join(problems)}. "
        "Large inputs saturate or "
        "explode the first layers, tiny ones starve their gradients, and features on different "
        "scales learn at different speeds.",
        evidence,
        ["Standardize each feature (sklearn StandardScaler, or a keras.layers.Normalization "
         "adapted to the training data as the first layer).",
         "Scale images to [0, 1] (keras.layers.Rescaling(1 / 255))."],
    )]


def _uncentred_features(rows, evidence):
    """The problem sentence (a list of one, or empty) for features far from zero relative to
    their spread, adding its evidence to `evidence`."""
    finite = np.where(np.isfinite(rows), rows, np.nan).astype(np.float64)
    mean, std = np.nanmean(finite, axis=0), np.nanstd(finite, axis=0)
    low, high = np.nanmin(finite, axis=0), np.nanmax(finite, axis=0)
    # An indicator (two values: a category that is on in 99.5% of rows) is offset by its base
    # rate, not by a unit of measurement: left out.
    indicator = np.all((finite == low) | (finite == high) | np.isnan(finite), axis=0)
    varying = (std > 0) & ~indicator
    ratio = np.zeros_like(mean)
    ratio[varying] = np.abs(mean[varying]) / std[varying]
    uncentred = np.flatnonzero(ratio >= MAX_MEAN_OVER_STD)
    if uncentred.size == 0:
        return []
    worst = int(uncentred[np.argmax(ratio[uncentred])])
    evidence["uncentred_features"] = int(uncentred.size)
    evidence["max_mean_over_std"] = float(ratio[worst])
    return [f"{uncentred.size} of {rows.shape[1]} features sit far from zero for their spread "
            f"(feature {worst}: mean {mean[worst]:.3g}, std {std[worst]:.3g}), so the ReLU units "
            "that read them get pre-activations on one side of zero for every row (dead or "
            "linear)"]


def _check_input_noise(name, rows, layer, stddev):
    """A `suspicious_config` when `layer` adds Gaussian noise of `stddev` to input `name` that
    drowns its rows' variation (`NOISE_OVER_SPREAD`)."""
    finite = np.where(np.isfinite(rows), rows, np.nan).reshape(len(rows), -1).astype(np.float64)
    spread = np.nanstd(finite, axis=0)
    spread = spread[spread > 0]
    if spread.size == 0 or stddev < NOISE_OVER_SPREAD * float(np.median(spread)):
        return []
    typical = float(np.median(spread))
    return [Finding(
        "suspicious_config", "warning", 0, layer,
        f"layer {layer!r} adds noise of stddev {stddev:g} to input {name!r}, whose features vary by "
        f"{typical:.3g} (median standard deviation): {stddev / typical:.3g} times their spread, so "
        "the noise drowns the signal and the model cannot fit.",
        {"input_noise_ratio": stddev / typical, "noise_stddev": float(stddev), "feature_std": typical,
         "noise_over_spread": NOISE_OVER_SPREAD, NEEDS_CONSEQUENCE: True},
        [f"Lower the noise to a tenth of the features' spread (GaussianNoise({typical / 10:.2g})), "
         "or remove the layer."],
    )]


def _scale_apart(rows, validation_rows):
    """`(train RMS, validation RMS, ratio of the larger to the smaller)` when both are positive
    and more than `MAX_TRAIN_VALIDATION_SCALE_RATIO` apart, else None."""
    train_rms, validation_rms = _rms(rows), _rms(validation_rows)
    if not (train_rms > 0 and validation_rms > 0):
        return None
    ratio = max(train_rms, validation_rms) / min(train_rms, validation_rms)
    return (train_rms, validation_rms, ratio) if ratio > MAX_TRAIN_VALIDATION_SCALE_RATIO else None


def _check_train_validation_scale(name, rows, validation_rows):
    apart = _scale_apart(rows, validation_rows)
    if apart is None:
        return []
    train_rms, validation_rms, ratio = apart
    return [Finding(
        "unnormalized_input", "error", 0, name,
        f"input {name!r} of validation_data is on another scale than the training input "
        f"(RMS {validation_rms:.3g} vs {train_rms:.3g}, {ratio:.3g} times apart): it was "
        "preprocessed differently, and validation scores mean nothing.",
        {"train_rms": train_rms, "validation_rms": validation_rms, "scale_ratio": ratio},
        ["Apply the same preprocessing (the scaler fitted on training data) to both.",
         "Or normalize inside the model, so every input goes through the same layer."],
    )]


# -- labels ----------------------------------------------------------------------------------------


def check_labels(outputs, labels, class_counts=None):
    """Judges the labels of each model output against its loss and activation range.

    Args:
        outputs: the model's `OutputSetup`s (from `describe_model`).
        labels: one array of labels per output (None where there is none).
        class_counts: for a single-output model, label counts per class over many rows (from a
            probe), used for the single-class check instead of `labels`; or None.

    Returns:
        A list of `label_mismatch` `Finding`s, epoch 0.
    """
    findings = []
    for output, y in zip(outputs, labels):
        if y is None or output.loss is None or not _is_numeric(y):
            continue
        y = np.asarray(y, dtype=np.float64)
        problem = _non_finite_targets(y) or _label_form_problem(output, y)
        if problem is None and output.loss.family in ("categorical", "sparse", "binary"):
            counts = class_counts if len(outputs) == 1 else None
            problem = _single_class_problem(output, y, counts)
        if problem is not None:
            message, evidence, advice = problem
            findings.append(Finding("label_mismatch", "error", 0, output.layer,
                                    f"labels of output {output.name!r}: {message}", evidence, advice))
    return findings


def check_class_targets_under_regression_loss(outputs, labels):
    """`output_loss_mismatch` warnings for a softmax output scored by a regression loss on
    one-hot rows, or a sigmoid output on 0/1 labels: the labels are classes, the loss is not.

    The loss's gradient reaches the logits through the squashing function's slope: for a
    confidently wrong example (an output near 0 where the label is 1) that slope is near zero,
    so the worst mistakes learn slowest. Cross-entropy's gradient at the logit is the error
    itself (output minus label). Many such runs still train (with Adam, on easy data), so the
    warning stands only with the stall it explains (`NEEDS_CONSEQUENCE`). A sigmoid regression
    on fractions (targets strictly between 0 and 1) is no class problem and is left alone.

    Args:
        outputs: the model's `OutputSetup`s (`setup_model.describe_model`).
        labels: one target array (or None) per output, as `fit` takes them.

    Returns:
        A list of `Finding`s, epoch 0.

    Example:

    >>> import numpy as np
    >>> from diagnostics.setup_model import OutputSetup, describe_loss
    >>> output = OutputSetup("out", "out", "softmax", 3, describe_loss("mse"))
    >>> [f.kind for f in check_class_targets_under_regression_loss([output], [np.eye(3)[[0, 2, 1, 0]]])]
    ['output_loss_mismatch']
    """
    findings = []
    for output, y in _regression_targets(outputs, labels):
        if output.activation == "softmax" and (output.units or 0) > 1 and y.ndim >= 2 and y.shape[-1] == output.units:
            if not _is_one_hot(y):
                continue
            fix, what = "categorical_crossentropy", f"one-hot class rows over {output.units} units"
        elif output.activation == "sigmoid" and y.size and np.isin(y, (0.0, 1.0)).all() and np.unique(y).size == 2:
            fix, what = "binary_crossentropy", "0/1 labels"
        else:
            continue
        findings.append(Finding(
            "output_loss_mismatch", "warning", 0, output.layer,
            f"output {output.name!r} is a {output.activation} trained with {output.loss.name} on "
            f"{what}: the loss's gradient passes through the {output.activation}'s slope, which "
            "is near zero exactly where an example is confidently wrong, so the worst mistakes "
            f"learn slowest; {fix.replace('_', ' ')} gives the logits the error itself.",
            {"regression_loss_on_classes": int(output.units or 1), "class_loss": fix, NEEDS_CONSEQUENCE: True},
            [f"Use {fix} for class labels (keep the {output.activation} output)."]))
    return findings


def check_broadcast_targets(outputs, labels):
    """An `output_loss_mismatch` error for each output whose targets have another shape per row
    than its predictions, where a regression or binary loss broadcasts one against the other
    instead of failing: one prediction per row scored against 20 per-step targets (an LSTM without
    `return_sequences`), or four softmax units each regressed to a column of class ids. The loss
    then fits an average, not the targets. (Keras first squeezes or expands a trailing axis of
    size 1 when the ranks differ by one, as done here.)

    Args:
        outputs, labels: the `OutputSetup`s of `setup_model.describe_model`, and a target array
            (or None) for each, as `fit` takes them.

    Returns:
        The findings (epoch 0), one per output at most.

    Example:

    >>> import numpy as np
    >>> from diagnostics.setup_model import OutputSetup, describe_loss
    >>> output = OutputSetup("out", "out", "linear", 1, describe_loss("mse"), shape=(1,))
    >>> [f.evidence["target_shape"] for f in check_broadcast_targets([output], [np.zeros((8, 20, 1))])]
    [[20, 1]]
    """
    findings = []
    for output, y in zip(outputs, labels):
        if (y is None or not hasattr(y, "shape") or not output.shape or output.loss is None
                or output.loss.family not in ("regression", "binary")):
            continue
        target, predicted = _broadcast_pair(tuple(y.shape[1:]), tuple(output.shape))
        if target == predicted or None in predicted or len(target) != len(predicted):
            continue
        if not all(t == p or t == 1 or p == 1 for t, p in zip(target, predicted)):
            continue  # Keras refuses these itself
        findings.append(Finding(
            "output_loss_mismatch", "error", 0, output.layer,
            f"output {output.name!r} predicts {tuple(output.shape)} per row but its targets are "
            f"{tuple(y.shape[1:])}: {output.loss.name} broadcasts one against the other, so every target is "
            "scored against the same prediction(s) and the model can only learn their average.",
            {"target_shape": [int(d) for d in y.shape[1:]], "output_shape": [d for d in output.shape]},
            ["Make the output the targets' shape (return_sequences=True for per-step targets; one unit per "
             "target), or, for class ids, a class loss (sparse_categorical_crossentropy)."]))
    return findings


def _broadcast_pair(target, predicted):
    """The two per-row shapes after Keras' rank matching: a trailing axis of size 1 of the longer
    one is dropped, else the shorter one gains one."""
    if len(target) == len(predicted) + 1:
        return (target[:-1], predicted) if target[-1] == 1 else (target, predicted + (1,))
    if len(predicted) == len(target) + 1:
        return (target, predicted[:-1]) if predicted[-1] == 1 else (target + (1,), predicted)
    return target, predicted


def check_target_scale(outputs, labels):
    """`label_mismatch` hypotheses for regression targets far from the unit scale a linear output
    starts at (`MAX_TARGET_SCALE`): prices in dollars, counts in thousands.

    Many such runs still train (a high enough Adam rate, many epochs), so each stands only beside
    a consequence it explains (`NEEDS_CONSEQUENCE`: a loss that stays far above predicting the
    targets' mean, a blow-up under SGD).

    Args:
        outputs: the model's `OutputSetup`s (`setup_model.describe_model`).
        labels: one target array (or None) per output, as `fit` takes them.

    Returns:
        A list of `Finding`s, epoch 0 (evidence `target_scale`, `target_mean`, `target_std`).

    Example:

    >>> import numpy as np
    >>> from diagnostics.setup_model import OutputSetup, describe_loss
    >>> output = OutputSetup("out", "out", "linear", 1, describe_loss("mse"))
    >>> [f.evidence["target_mean"] for f in check_target_scale([output], [np.array([2e5, 3e5, 4e5])])]
    [300000.0]

    A `Rescaling` that makes the output (`OutputSetup.rescaling`) is taken into account: the
    layers below it learn the targets at its scale.
    """
    findings = []
    for output, y in _regression_targets(outputs, labels):
        if output.activation not in (None, "linear"):
            continue
        y = y[np.isfinite(y)]
        if y.size < 2:
            continue
        mean, std = float(np.mean(y)), float(np.std(y))
        if output.rescaling and output.rescaling[0]:  # a Rescaling output: its layers learn (y - offset) / scale
            factor, offset = output.rescaling
            mean, std = (mean - offset) / factor, std / abs(factor)
        scale = max(abs(mean), std)
        if scale < MAX_TARGET_SCALE:
            continue
        findings.append(Finding(
            "label_mismatch", "warning", 0, output.layer,
            f"the targets of output {output.name!r} sit at {mean:.3g} +- {std:.3g}, far from the unit "
            "scale its linear output starts at: the first errors are that large, plain SGD's steps grow "
            "with them and blow up, and adaptive optimizers need thousands of steps just to reach "
            "their level.",
            {"target_scale": scale, "target_mean": mean, "target_std": std, NEEDS_CONSEQUENCE: True},
            ["Standardize the targets (subtract the training mean, divide by the standard deviation) "
             "and scale the predictions back, or let the model do it with a Rescaling layer after the "
             "output."]))
    return findings


def check_validation_target_scale(outputs, labels, validation_labels):
    """`label_mismatch` errors for regression targets of `validation_data` on another scale than
    the training targets (their RMS `MAX_TRAIN_VALIDATION_SCALE_RATIO` or more times apart): a
    transform (a log, a standardization, a unit) applied to one split only. The model is fitted
    to one scale and scored on the other, so its validation loss says nothing.

    Args:
        outputs: the model's `OutputSetup`s (`setup_model.describe_model`).
        labels, validation_labels: one target array (or None) per output, as `fit` takes them.

    Returns:
        A list of `Finding`s, epoch 0 (evidence `target_scale_ratio`).

    Example:

    >>> from diagnostics.setup_model import OutputSetup, describe_loss
    >>> output = OutputSetup("out", "out", "linear", 1, describe_loss("mse"))
    >>> log_prices, prices = np.log([150.0, 300.0, 900.0]), np.array([180.0, 260.0, 1100.0])
    >>> [round(f.evidence["target_scale_ratio"]) for f in check_validation_target_scale(
    ...     [output], [log_prices], [prices])]
    [112]
    """
    findings = []
    validation = dict(_regression_targets(outputs, validation_labels or [None] * len(outputs)))
    for output, y in _regression_targets(outputs, labels):
        apart = _scale_apart(y, validation[output]) if output in validation else None
        if apart is None:
            continue
        train_rms, validation_rms, ratio = apart
        findings.append(Finding(
            "label_mismatch", "error", 0, output.layer,
            f"targets of output {output.name!r} in validation_data are on another scale than the training "
            f"targets (RMS {validation_rms:.3g} vs {train_rms:.3g}, {ratio:.3g} times apart): a transform "
            "applied to one split only (a log, a scaler, a unit), so the validation loss scores the model "
            "against targets it was not fitted to.",
            {"train_target_rms": train_rms, "validation_target_rms": validation_rms, "target_scale_ratio": ratio},
        ))
    return findings


def _regression_targets(outputs, labels):
    """`(output, targets as float64)` for each output under a regression loss with numeric targets."""
    for output, y in zip(outputs, labels):
        if y is not None and output.loss is not None and output.loss.family == "regression" and _is_numeric(y):
            yield output, np.asarray(y, dtype=np.float64)


def _non_finite_targets(y):
    """(message, evidence, advice) when targets hold NaN or inf (any loss turns NaN on them), else None."""
    finite = np.isfinite(np.atleast_1d(y))
    if finite.all():
        return None
    bad = int(finite.size - np.count_nonzero(finite))
    rows = int(np.count_nonzero(~finite.reshape(len(finite), -1).all(axis=1)))
    return (f"{bad} NaN or infinite target values in {rows} of the {len(finite)} rows seen; "
            "the loss of every batch holding one is NaN, and so is every weight after that step.",
            {"non_finite_targets": bad, "non_finite_rows": rows},
            ["Drop or impute the rows whose targets are NaN or inf (`np.isfinite(y)`)."])


def _label_form_problem(output, y):
    """(message, evidence, advice) when labels cannot fit the loss or the output, else None."""
    family, loss, units = output.loss.family, output.loss.name, output.units
    finite = y[np.isfinite(y)]
    if finite.size == 0:
        return None
    low, high = float(finite.min()), float(finite.max())
    one_hot_shaped = y.ndim >= 2 and units is not None and units > 1 and y.shape[-1] == units
    if family == "sparse":
        if one_hot_shaped and _is_one_hot(y):
            return (f"one-hot rows of {units} columns, but {loss} expects class ids.",
                    {"label_columns": units},
                    ["Use categorical_crossentropy for one-hot labels.",
                     "Or pass class ids: y.argmax(axis=-1)."])
        fractional = int(np.count_nonzero(finite != np.round(finite)))
        if fractional:
            return (f"{fractional} labels are not whole numbers (from {low:.3g} to {high:.3g}), "
                    f"but {loss} expects class ids; were they scaled (divided by 255)?",
                    {"fractional_labels": fractional, "label_min": low, "label_max": high},
                    ["Pass integer class ids 0..num_classes-1, unscaled.",
                     "Scale the inputs, never the labels."])
        if units is not None and (low < 0 or high >= units):
            outside = int(np.count_nonzero((finite < 0) | (finite >= units)))
            return (f"{outside} class ids fall outside 0..{units - 1} (from {low:g} to "
                    f"{high:g}) for an output of {units} units; on a GPU they give NaN losses "
                    "silently.",
                    {"labels_out_of_range": outside, "label_min": low, "label_max": high},
                    [f"Give the output one unit per class ({int(high) + 1} or more).",
                     "Or map the labels to 0..num_classes-1."])
        return None
    if family == "categorical" and units is not None and units > 1 and not one_hot_shaped:
        return (f"class ids (shape {tuple(y.shape[1:]) or '()'} per example), but {loss} "
                f"expects one-hot rows of {units} columns: the loss broadcasts and is wrong.",
                {"label_columns": int(y.shape[-1]) if y.ndim >= 2 else 1, "output_units": units},
                ["Use sparse_categorical_crossentropy for class ids.",
                 f"Or one-hot encode them: keras.utils.to_categorical(y, {units})."])
    if family in ("categorical", "binary") and (low < 0 or high > 1):
        return (f"targets range from {low:.3g} to {high:.3g}, but {loss} expects targets in "
                "[0, 1].",
                {"label_min": low, "label_max": high},
                ["Use class ids or 0/1 targets for a classification loss.",
                 "For a regression target use a regression loss (mean squared error)."])
    if (family == "regression" and output.activation == "softmax" and one_hot_shaped
            and low >= 0 and high <= 1):
        rows = y.reshape(-1, units)
        multi_hot = int(np.count_nonzero(np.sum(rows > 0, axis=-1) > 1))
        if multi_hot:
            return (f"{multi_hot} of {len(rows)} target rows mark several labels, but a softmax "
                    f"output sums to 1 over its {units} units: {loss} can never reach them, and "
                    "the output is pulled to share its mass between the labels.",
                    {"multi_hot_rows": multi_hot, "rows": len(rows)},
                    ["For several labels per example use sigmoid outputs with binary "
                     "cross-entropy.",
                     "For one label per example, fix the targets to one-hot rows."])
    bounds = ACTIVATION_RANGES.get(output.activation)
    if family == "regression" and bounds is not None and (low < bounds[0] or high > bounds[1]):
        return (f"targets range from {low:.3g} to {high:.3g}, outside [{bounds[0]:g}, "
                f"{bounds[1]:g}], all that a {output.activation} output can produce.",
                {"label_min": low, "label_max": high, "output_min": bounds[0],
                 "output_max": bounds[1]},
                ["Use a linear output activation for unbounded targets.",
                 "Or rescale the targets into the output's range (and back after predict)."])
    return None


def check_validation_labels(outputs, labels, validation_labels, class_counts=None,
                            validation_class_counts=None):
    """Judges whether validation labels hold classes that training never shows.

    With `validation_split` on rows sorted by label, Keras validates on the last classes and
    trains on the others: validation scores then measure classes the model never saw.

    Args:
        outputs: the model's `OutputSetup`s (from `describe_model`).
        labels: one array of training labels per output (None where there is none).
        validation_labels: one array of validation labels per output (None where there is none).
        class_counts: for a single-output model, training label counts per class over many rows
            (from a probe), used instead of `labels`; or None.
        validation_class_counts: the same for the validation labels, used instead of
            `validation_labels`; or None.

    Returns:
        A list of `label_mismatch` `Finding`s (evidence `validation_only_classes`), epoch 0.

    Example:

    >>> from diagnostics.setup_model import LossSetup, OutputSetup
    >>> out = OutputSetup("out", "out", "softmax", 3, LossSetup("scce", "sparse", False))
    >>> [f.evidence["validation_only_classes"] for f in check_validation_labels(
    ...     [out], [np.repeat([0, 1], 50)], [np.full(20, 2)])]
    [1]
    """
    findings = []
    labels = labels or [None] * len(outputs)
    validation_labels = validation_labels or [None] * len(outputs)
    for index, output in enumerate(outputs):
        if output.loss is None or output.loss.family not in ("categorical", "sparse", "binary"):
            continue
        if output.loss.family == "binary" and output.units is not None and output.units > 1:
            continue  # multi-label: every column holds both answers
        single = len(outputs) == 1
        train = _counts(labels[index], output, class_counts if single else None)
        validation = _counts(validation_labels[index], output,
                             validation_class_counts if single else None)
        if train is None or validation is None or validation.sum() == 0:
            continue
        size = max(len(train), len(validation))
        train, validation = (np.pad(c, (0, size - len(c))) for c in (train, validation))
        expected = train.sum() * validation / validation.sum()
        missing = np.flatnonzero((train == 0) & (validation > 0) & (expected >= MIN_EXPECTED_CLASS_ROWS))
        if missing.size == 0:
            continue
        shown = ", ".join(str(int(c)) for c in missing[:10]) + (" ..." if missing.size > 10 else "")
        share = float(validation[missing].sum() / validation.sum())
        findings.append(Finding(
            "label_mismatch", "error", 0, output.layer,
            f"labels of output {output.name!r}: {missing.size} class(es) of the validation data "
            f"({shown}; {share:.0%} of its rows) never occur in the {int(train.sum())} training "
            "labels: the model cannot learn them, and the validation loss measures classes it "
            "never saw (validation_split takes the last rows, unshuffled: were they sorted by "
            "label?).",
            {"validation_only_classes": int(missing.size), "validation_only_share": share},
            ["Shuffle the rows before fit when using validation_split (it takes the last rows).",
             "Or split with sklearn's train_test_split(..., stratify=y)."],
        ))
    return findings


def first_epoch_covered_data(rows, steps):
    """Whether a first epoch of `steps` steps that counted `rows` rows ran a whole pass over the
    training data: its batches were not all of one size, so one of them was the short batch that
    ends a pass (an epoch that starts at the data's start and holds a pass's end saw every row).

    An epoch of equal batches may have been cut short (`steps_per_epoch`, a repeated or infinite
    dataset, a trial cut short), and then a class absent from its rows may be only rare: which
    classes the training data lack is not judged on it. (It may also be a whole pass over a number
    of rows divisible by the batch size; that run's check is skipped too, never invented.) The
    share of the absent class's rows left unseen is unknown, so no chance rule can stand in.

    Args:
        rows: training rows the epoch counted (the sum of its label counts).
        steps: training steps of the epoch, or None if unknown.

    Returns:
        True when the batches differ in size, else False.

    Example:

    >>> first_epoch_covered_data(1437, 45), first_epoch_covered_data(288, 9)
    (True, False)
    """
    if not steps or rows is None or rows <= 0:
        return False
    return int(rows) % int(steps) != 0


def _counts(labels, output, class_counts):
    """Label counts per class id, from `class_counts` when given, else from `labels`; None when
    neither is usable."""
    if class_counts is not None:
        return np.asarray(class_counts, dtype=np.int64)
    if labels is None or not _is_numeric(labels):
        return None
    ids = _class_ids(np.asarray(labels, dtype=np.float64), output.loss.family)
    ids = ids[np.isfinite(ids)]
    if (ids.size == 0 or np.any(ids < 0) or np.any(ids != np.round(ids))
            or ids.max() >= max(output.units or 0, 2)):
        return None  # not class ids of this output: the label-form checks name that
    return np.bincount(ids.astype(np.int64))


def _single_class_problem(output, y, class_counts):
    if output.loss.family == "binary" and output.units is not None and output.units > 1:
        return None  # multi-label: each column is its own question
    if class_counts is not None:
        counts = np.asarray(class_counts)
        seen, rows = np.flatnonzero(counts), int(counts.sum())
        if seen.size != 1:  # a whole epoch: one class is no chance
            return None
        only = int(seen[0])
    else:
        ids = _class_ids(y, output.loss.family)
        rows = ids.size
        if rows < MIN_ROWS_SINGLE_CLASS or np.unique(ids).size != 1:
            return None
        only = int(ids[0])
    return (f"every one of the {rows} labels seen is class {only}: the model can only learn to "
            "predict that class (were the labels scaled or cast to int?).",
            {"distinct_labels": 1, "rows": rows},
            ["Check how the labels were loaded and encoded (print np.unique(y)).",
             "Shuffle the data before splitting, so each split holds every class."])


def _class_ids(y, family):
    if family == "categorical" and y.ndim >= 2 and y.shape[-1] > 1:
        return np.argmax(y, axis=-1).reshape(-1)
    if family == "binary":
        return np.round(y).reshape(-1)
    return y.reshape(-1)


def _is_one_hot(y):
    rows = y.reshape(-1, y.shape[-1])
    return bool(np.isin(rows, (0.0, 1.0)).all() and np.all(rows.sum(axis=-1) == 1))


# -- helpers ---------------------------------------------------------------------------------------


def _is_numeric(array):
    dtype = np.asarray(array).dtype
    return np.issubdtype(dtype, np.number) or np.issubdtype(dtype, np.bool_)


def _rms(rows):
    finite = rows[np.isfinite(rows)]
    scale = float(np.max(np.abs(finite))) if finite.size else 0.0
    if scale == 0.0:
        return 0.0
    # Divided by the largest first: squares of float32 inputs up to 1e19 would overflow.
    return scale * float(np.sqrt(np.mean(np.square(finite / scale), dtype=np.float64)))


def _row_keys(rows):
    flat = np.ascontiguousarray(np.asarray(rows).reshape(len(rows), -1))
    # float32 copies match too
    return np.array([hash(row.astype(np.float64).tobytes()) for row in flat], dtype=np.int64)
