"""The learning-rate range test: `find_learning_rate`, and the `RangeTest` it returns.

The test trains a copy of the model for a few dozen steps while the learning rate grows
exponentially, one batch per step, from a rate too small to move the weights to one large enough
to make the loss diverge, and records the loss at every step. The loss falls once the rate is
large enough to learn and rises again once it is too large for the loss surface's curvature; a
good rate for training sits on the steep fall, well below where the loss turns up.

`RangeTest.suggestion` reads the curve with a "valley" rule, the kind fastai's `lr_find` made
popular: the middle of the steep descent before the minimum (here, where the loss falls through
the middle 80% of its fall, so that a bump on the way down does not cut the descent);
`steepest()` and `minimum(divisor)` are the two older rules. `RangeTest` describes them.

It runs on a clone (`keras.models.clone_model`, the model's weights copied, a fresh optimizer of
the same class and configuration): the user's model, its weights, its optimizer and its compile
settings are never touched.

Example:

>>> import keras, numpy as np
>>> rng = np.random.default_rng(0)
>>> x = rng.normal(size=(256, 4)).astype("float32")
>>> y = x @ np.array([1.0, -2.0, 0.5, 3.0], "float32")
>>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
>>> model.compile(optimizer="sgd", loss="mse")
>>> test = find_learning_rate(model, x, y, start=1e-4, stop=10.0, steps=30, seed=0)
>>> 1e-4 < test.suggestion < 1.0
True
"""

import contextlib
import dataclasses
import functools
import math
import numbers

import keras
import numpy as np
import tensorflow as tf

from diagnostics._arguments import AsValueError, ClassWeight, Data, KerasModel, is_stream
from diagnostics._format import fmt, from_json_number, json_number, pyplot
from zoo._validation import Integer, Invalid, Optional, Real, validate_arguments

# Rows per step when `batch_size` is None: what `fit` uses.
DEFAULT_BATCH_SIZE = 32

# The rules read the loss through a centred moving median over the steps that span this factor of
# learning rate (at least 3 steps): it removes the batch-to-batch noise without the lag of the
# exponential smoothing, whose ~50-step memory at 0.98 spans a factor of 10^4 of learning rate in
# the default 100-step ramp (on the quadratic of the tests, the smoothed loss' minimum sat at 3x
# the stable step 2/L, the trend's at 0.5x).
TREND_SPAN = 2.0

# The valley leaves out this share of the trend's fall at each end, the fall being from its highest
# point before its minimum down to the minimum: the noisy shoulders (the flat start, the rounded
# bottom) would otherwise decide where the descent begins and ends.
DESCENT_TRIM = 0.1


@dataclasses.dataclass(frozen=True, eq=False)
class RangeTest:
    """What one learning-rate range test recorded, and the rates it suggests.

    Attributes:
        learning_rates: the learning rate of each step taken, rising exponentially (float64).
        losses: the training loss of each step's batch, as `train_on_batch` returned it (the
            loss before that step's update).
        smoothed: the exponentially smoothed loss, bias-corrected, that the stop rule read.
        diverged: True when the test stopped early because the loss diverged (or became
            non-finite); False when it ran all its steps.
        steps: the number of steps asked for.
        trend: (computed) the loss the rules read: a centred moving median of `losses` over the
            steps spanning a factor `TREND_SPAN` of learning rate; a non-finite loss counts as
            +inf. Unlike `smoothed` it does not lag behind the learning rate.

    The rules read `trend` up to its minimum:

    - `suggestion` (the "valley" rule): the learning rate in the middle of the steep descent
      before the minimum. The trend falls by F from its highest point before the minimum down
      to the minimum; the descent (`valley()`) runs from the last step still within
      `DESCENT_TRIM` x F of the top to the first step within `DESCENT_TRIM` x F of the bottom,
      so that bumps on the way down do not cut it; the suggestion is the rate at its middle
      step (the geometric middle of its rates). When the trend never fell (its minimum comes
      first), it is `minimum()`; None when no step gave a finite loss.
    - `steepest()`: the rate where the trend falls fastest per factor of learning rate.
    - `minimum(divisor=10)`: the rate at the trend's minimum, divided by `divisor`.

    Example:

    >>> rates = np.geomspace(1e-4, 1.0, 9)  # steps of a factor 10**0.5: a 3-step median
    >>> losses = np.array([5.0, 5.0, 5.0, 4.0, 1.5, 1.0, 0.8, 3.0, 20.0])
    >>> test = RangeTest(rates, losses, losses, diverged=True, steps=12)
    >>> test.trend.tolist()
    [5.0, 5.0, 5.0, 4.0, 1.5, 1.0, 1.0, 3.0, 11.5]
    >>> test.valley(), round(test.suggestion, 5), round(test.minimum(), 5)
    ((2, 5), 0.00316, 0.00316)
    """

    learning_rates: np.ndarray
    losses: np.ndarray
    smoothed: np.ndarray
    diverged: bool
    steps: int

    @functools.cached_property
    def trend(self):
        """The centred moving median of `losses` (see the class docstring)."""
        losses = np.where(np.isnan(self.losses), np.inf, self.losses)
        if losses.size < 2:
            return losses
        per_step = math.log(self.learning_rates[1] / self.learning_rates[0])
        half = max(1, round(math.log(TREND_SPAN) / per_step / 2))
        return np.array([np.median(losses[max(0, step - half):step + half + 1])
                         for step in range(losses.size)])

    @property
    def suggestion(self):
        """The valley rule's learning rate (see the class docstring), or None."""
        stretch = self.valley()
        if stretch is None:
            return self.minimum()
        first, last = stretch
        return float(self.learning_rates[(first + last) // 2])

    def valley(self):
        """The steep descent of `trend` before its minimum as step indices (first, last): the
        loss falls through the middle of its fall from step `first` to step `last`; or None
        when the trend never fell."""
        lowest = self._lowest()
        if lowest is None or lowest == 0:
            return None
        curve = self.trend[:lowest + 1]
        highest = int(np.argmax(curve))
        fall = curve[highest] - curve[lowest]
        if highest >= lowest or not 0 < fall < math.inf:  # (a non-finite loss ends the test)
            return None
        last = highest + int(np.argmax(curve[highest:] <= curve[lowest] + DESCENT_TRIM * fall))
        first = highest + int(np.flatnonzero(curve[highest:last] >= curve[highest]
                                             - DESCENT_TRIM * fall)[-1])
        return first, last

    def steepest(self):
        """The learning rate where `trend` falls fastest against log(learning rate), up to its
        minimum; None when the minimum is the first step (or no loss was finite)."""
        lowest = self._lowest()
        if lowest is None or lowest == 0:
            return None
        slopes = np.gradient(self.trend[:lowest + 1], np.log(self.learning_rates[:lowest + 1]))
        return float(self.learning_rates[int(np.argmin(slopes))])

    def minimum(self, divisor=10.0):
        """The learning rate at the minimum of `trend` divided by `divisor` (the classic "a tenth
        of the rate at the minimum"); None when no step gave a finite loss."""
        if isinstance(divisor, bool) or not isinstance(divisor, numbers.Real) or not divisor > 0:
            raise ValueError(f"`divisor` must be a positive number. Received: divisor={divisor!r}")
        lowest = self._lowest()
        return None if lowest is None else float(self.learning_rates[lowest] / divisor)

    def plot(self, path):
        """Draws the loss of each step and its trend against the learning rate (log axis), with
        the suggestion marked, into the image file `path` (PNG, SVG... by its extension).

        Returns:
            `path`.
        """
        plt = pyplot()
        fig, ax = plt.subplots(figsize=(6, 4))
        ax.plot(self.learning_rates, self.losses, color="0.7", lw=1, label="loss of the step")
        ax.plot(self.learning_rates, self.trend, color="C0", lw=2, label="trend (centred median)")
        suggestion = self.suggestion
        if suggestion is not None:
            ax.axvline(suggestion, color="C3", ls="--", label=f"suggestion {fmt(suggestion)}")
        ax.set_xscale("log")
        ax.set_xlabel("learning rate")
        ax.set_ylabel("training loss")
        lowest = self._lowest()
        if lowest is not None:  # the diverged tail would flatten the part that matters
            low, high = float(self.trend[lowest]), float(self.trend[:lowest + 1].max())
            margin = 0.1 * (high - low) or 0.1 * abs(high) or 1.0
            ax.set_ylim(low - margin, high + 3 * margin)
        ax.legend()
        ax.set_title("Learning-rate range test"
                     + (" (stopped at divergence)" if self.diverged else ""))
        fig.savefig(path, dpi=110, bbox_inches="tight")
        plt.close(fig)
        return path

    def to_dict(self):
        """The record as plain Python for JSON (non-finite numbers as "nan"/"inf" strings);
        `RangeTest.from_dict` reads it back."""
        def numbers_of(values):
            return [json_number(float(value)) for value in values]
        return {"learning_rates": numbers_of(self.learning_rates),
                "losses": numbers_of(self.losses), "smoothed": numbers_of(self.smoothed),
                "diverged": bool(self.diverged),
                "steps": int(self.steps), "suggestion": self.suggestion}

    @classmethod
    def from_dict(cls, record):
        """The `RangeTest` of a `to_dict` record (its `suggestion` entry is recomputed)."""
        def array_of(values):
            return np.array([from_json_number(value) for value in values], dtype=np.float64)
        return cls(array_of(record["learning_rates"]), array_of(record["losses"]),
                   array_of(record["smoothed"]), bool(record["diverged"]), int(record["steps"]))

    def __str__(self):
        taken = len(self.losses)
        end = f"diverged at step {taken}" if self.diverged else "no divergence"
        span = (f"{fmt(self.learning_rates[0])} to {fmt(self.learning_rates[-1])}" if taken
                else "no step")
        return (f"RangeTest({taken}/{self.steps} steps, learning rate {span}, {end}; "
                f"suggestion {fmt(self.suggestion)})")

    __repr__ = __str__

    def _lowest(self):
        """The index of the minimum of `trend`, or None when no loss is finite."""
        if not np.isfinite(self.trend).any():
            return None
        return int(np.argmin(self.trend))


def _stop_above_start(start, stop, **_):
    if stop <= start:
        raise Invalid(f"must be larger than `start` ({start!r})", argument="stop")


def _nothing_beside_a_stream(x, y, sample_weight, batch_size, **_):
    """A dataset's or a generator's batches carry targets and weights, and have their size."""
    if is_stream(x):
        for name, value in (("y", y), ("sample_weight", sample_weight), ("batch_size", batch_size)):
            if value is not None:
                raise Invalid("must be None when `x` is a dataset or a generator (its batches carry it)",
                              argument=name)


# What each argument of `find_learning_rate` must be. A wrong type of a number that was refused with
# a ValueError before the table still is one (`seed`'s was a TypeError and stays one).
_CONSTRAINTS = {
    "model": KerasModel(compiled_for="the range test"),
    "x": Data(required=True),
    "y": Data(streams=False),
    "batch_size": AsValueError(Optional(Integer(minimum=1))),
    "sample_weight": Data(streams=False),
    "class_weight": Optional(ClassWeight()),
    "start": AsValueError(Real(minimum=0.0, min_inclusive=False)),
    "stop": AsValueError(Real(minimum=0.0, min_inclusive=False)),
    "steps": AsValueError(Integer(minimum=2)),
    "smoothing": AsValueError(Real(minimum=0.0, maximum=1.0, max_inclusive=False)),
    "divergence": AsValueError(Real(minimum=1.0, min_inclusive=False)),
    "seed": Optional(Integer()),
    "verbose": AsValueError(Integer(minimum=0, maximum=2)),
}


@validate_arguments(_CONSTRAINTS, rules=(_stop_above_start, _nothing_beside_a_stream))
def find_learning_rate(model, x, y=None, *, batch_size=None, sample_weight=None, class_weight=None,
                       start=1e-7, stop=10.0, steps=100, smoothing=0.98, divergence=4.0, seed=None,
                       verbose=0):
    """Runs the learning-rate range test on a clone of a compiled model.

    The learning rate grows exponentially from `start` to `stop` over `steps` optimizer steps,
    one batch each (the data is cycled when it has fewer batches). The loss of each step is
    recorded and smoothed exponentially (bias-corrected); the test stops early once the smoothed
    loss exceeds `divergence` times its lowest value so far (for a negative lowest value: rises
    above it by `divergence - 1` times its magnitude), or the loss is not finite.

    The clone is `keras.models.clone_model(model)` with the model's weights copied, compiled with
    the same loss and loss weights and a fresh optimizer of the same class and configuration
    (its own state; a learning-rate schedule is replaced by the ramp). Metrics are left out: they
    do not change the updates. The model, its weights, its optimizer and its compile settings
    are not touched. A model that was never built is built on the first batch: its clone starts
    from the model's initializers, not from weights the model does not have yet.

    Args:
        model: a compiled `keras.Model` (Sequential, functional, or a subclass that
            `clone_model` can rebuild through `get_config`/`from_config`).
        x: the inputs as `fit` takes them: an array, a list or dict of arrays per model input,
            a `tf.data.Dataset`, a `keras.utils.PyDataset` or a generator/iterator yielding
            `(x, y)` or `(x, y, sample_weight)` batches.
        y: the targets (an array, or a list/dict per output) when `x` is arrays; None otherwise.
        batch_size: rows per step for arrays (default 32); None for datasets and generators.
        sample_weight: per-row weights for arrays, or None.
        class_weight: a dict from class index to weight, as in `fit`, or None.
        start: the first learning rate (> 0).
        stop: the last learning rate (> start).
        steps: the number of optimizer steps (>= 2).
        smoothing: the exponential smoothing factor of the loss, in [0, 1) (0: no smoothing).
        divergence: the stop threshold over the lowest smoothed loss (> 1).
        seed: an int for a reproducible test: it seeds the shuffle of array data and, through
            `keras.utils.set_random_seed` (which seeds Python, NumPy and TensorFlow globally),
            the clone's random layers such as dropout; None leaves every seed alone.
        verbose: 0 for silence, 1 for a progress bar, 2 for one line at the end.

    Returns:
        A `RangeTest` with `learning_rates`, `losses`, `smoothed`, `diverged`, `suggestion`
        and the `steepest()`, `minimum()` and `plot(path)` methods.

    Raises:
        TypeError: `model` is not a Keras model or cannot be cloned; an argument of a wrong type.
        ValueError: `model` is not compiled; a bad value (start >= stop, steps < 2...).

    Example:

    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=(128, 3)).astype("float32")
    >>> y = (x.sum(axis=1) > 0).astype("int32")
    >>> model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    >>> model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    >>> test = find_learning_rate(model, x, y, steps=25, start=1e-4, stop=10.0, seed=0)
    >>> len(test.losses) <= 25 and test.suggestion is not None
    True
    """
    if seed is not None:
        keras.utils.set_random_seed(seed)
    batches = _batches(x, y, sample_weight, batch_size, seed)
    first = next(batches)
    clone = _clone(model, first[0])
    learning_rates = start * (stop / start) ** (np.arange(steps) / (steps - 1))
    progress = (keras.utils.Progbar(steps, verbose=verbose, stateful_metrics=["lr", "loss"])
                if verbose else None)
    losses, smoothed, average, lowest, diverged = [], [], 0.0, math.inf, False
    for step, learning_rate in enumerate(learning_rates):
        x_batch, y_batch, weight_batch = first if step == 0 else next(batches)
        clone.optimizer.learning_rate = float(learning_rate)
        logs = clone.train_on_batch(x_batch, y_batch, sample_weight=weight_batch,
                                    class_weight=class_weight, return_dict=True)
        loss = float(logs["loss"])
        average = smoothing * average + (1.0 - smoothing) * loss
        value = average / (1.0 - smoothing ** (step + 1))
        losses.append(loss)
        smoothed.append(value)
        if progress is not None:
            progress.update(step + 1, values=[("lr", float(learning_rate)), ("loss", loss)])
        if _diverged(value, lowest, divergence):
            diverged = True
            break
        lowest = min(lowest, value)
    if progress is not None and len(losses) < steps:
        progress.update(steps, finalize=True)
    taken = len(losses)
    return RangeTest(learning_rates=learning_rates[:taken], losses=np.asarray(losses),
                     smoothed=np.asarray(smoothed), diverged=diverged, steps=steps)


def _diverged(smoothed, lowest, divergence):
    """The stop rule: the smoothed loss is not finite, or rose above `divergence` times its lowest
    value so far (for any sign: by more than `divergence - 1` times the lowest value's size)."""
    if not math.isfinite(smoothed):
        return True
    return math.isfinite(lowest) and smoothed - lowest > (divergence - 1.0) * abs(lowest)


def _batches(x, y, sample_weight, batch_size, seed):
    """An endless iterator of (x, y, sample_weight) batches over `x` (cycling its data)."""
    if is_stream(x):
        return _cycled(x)
    return _array_batches(x, y, sample_weight, batch_size or DEFAULT_BATCH_SIZE, seed)


def _cycled(data):
    """The batches of a dataset, a PyDataset or an iterator, repeated without end."""
    if isinstance(data, tf.data.Dataset):
        source = iter(data.repeat())
        while True:
            yield keras.utils.unpack_x_y_sample_weight(next(source))
    seen = []
    if isinstance(data, keras.utils.PyDataset):
        source = (data[index] for index in range(len(data)))
    else:
        source = data
    for batch in source:
        seen.append(keras.utils.unpack_x_y_sample_weight(batch))
        yield seen[-1]
    if not seen:
        raise ValueError(f"`x` yielded no batch. Received: x={data!r}")
    while True:  # a generator cannot restart: replay what it gave
        yield from seen


def _array_batches(x, y, sample_weight, batch_size, seed):
    """Shuffled batches of arrays (nested in lists or dicts), reshuffled at each pass; the last
    partial batch is dropped when there is a full one, so every step sees the same batch size."""
    data = keras.tree.map_structure(lambda leaf: None if leaf is None else np.asarray(leaf),
                                    (x, y, sample_weight))
    sizes = {leaf.shape[0] if leaf.ndim else None
             for leaf in keras.tree.flatten(data) if leaf is not None}
    if len(sizes) != 1 or None in sizes:
        raise ValueError("`x`, `y` and `sample_weight` must be arrays with the same number of "
                         f"rows. Received: rows={sorted(sizes, key=str)}")
    rows = sizes.pop()
    if rows == 0:
        raise ValueError("`x` must hold at least one row. Received: x with 0 rows")
    per_pass = max(rows // batch_size, 1)
    rng = np.random.default_rng(seed)
    while True:
        order = rng.permutation(rows)
        for index in range(per_pass):
            rows_taken = order[index * batch_size:(index + 1) * batch_size]
            yield keras.tree.map_structure(
                lambda leaf, taken=rows_taken: None if leaf is None else leaf[taken], data)


def _clone(model, x_batch):
    """A compiled clone of `model` with its weights and a fresh optimizer (see the docstring),
    under the model's distribution strategy when it has one."""
    strategy = getattr(model, "distribute_strategy", None)
    with strategy.scope() if strategy is not None else contextlib.nullcontext():
        try:
            clone = keras.models.clone_model(model)
        except Exception as error:  # any failure of get_config/from_config
            raise TypeError(
                "`model` cannot be cloned with keras.models.clone_model (a subclassed model needs "
                "get_config() returning its constructor arguments, and from_config). "
                f"Received: model={type(model).__name__} ({type(error).__name__}: {error})"
            ) from error
        if not clone.built or len(clone.weights) != len(model.weights):
            clone(x_batch)
        if model.built:
            clone.set_weights(model.get_weights())
        config = model.get_compile_config()
        clone.compile(optimizer=_fresh_optimizer(model.optimizer), loss=model.loss,
                      loss_weights=config.get("loss_weights"), run_eagerly=model.run_eagerly,
                      jit_compile=model.jit_compile)
    return clone


def _fresh_optimizer(optimizer):
    """A new optimizer of `optimizer`'s class and configuration, with no state, whose learning
    rate is a plain float (a schedule, or a callable, replaced) that the test can set."""
    return type(optimizer).from_config(_float_learning_rate(optimizer.get_config()))


def _float_learning_rate(config):
    """`config` with every `learning_rate` entry (nested optimizers' too) set to a float."""
    config = dict(config)
    for key, value in config.items():
        if key == "learning_rate" and not isinstance(value, numbers.Real):
            config[key] = 1e-3  # a placeholder: the test sets the rate before every step
        elif isinstance(value, dict):
            config[key] = _float_learning_rate(value)
    return config
