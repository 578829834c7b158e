"""In-graph gradient telemetry: per-layer statistics collected inside the real training step.

Keras 3 builds `train_function` before `on_train_begin`, and a callback never sees gradients. So
`GradientTelemetry.attach` wraps the `apply` method of every optimizer the model uses (unwrapping
`LossScaleOptimizer`), and forces Keras to retrace the step. Inside the step, the wrapper reduces
each gradient and weight variable on its own (no flat copy of all of them; an embedding's sparse
`IndexedSlices` gradient stays sparse), and accumulates per-layer results in one non-trainable
variable. A measured step is one where the optimizer applies an update: with
`gradient_accumulation_steps=k`, the k-th `apply` of each cycle, not the ones that only add to
the accumulators. With `every > 1` only every `every`-th step is measured (plus the first steps after
`attach` and the first of each period), behind two `tf.cond`s: a skipped step costs one comparison
of the optimizer's iteration with the next measured one and two untaken branches, whatever the
size of the model. (Under several replicas it also all-reduces the gradients, which cannot happen
inside a cond; the measuring itself stays behind it.) The period, unless a monitor asks for one,
grows with the parameter count and the epoch's length (`automatic_every`) so that measuring stays
near 1% of the training time. Python reads the accumulator rarely (`read`, once per epoch by
default); reading a tensor back every step is what would make diagnostics slow.

Signals per trainable layer, averaged over the measured optimizer steps since the last `read`:

- `grad_norm`: L2 norm of the layer's gradient (all its trainable variables together), taken
  before clipping; under `tf.distribute` the norm of the all-reduced (global-batch) gradient.
  It is the gradient the update applies: unscaled (an optimizer's `loss_scale_factor`, which
  scales the gradients `apply` receives, is divided out; a `LossScaleOptimizer`'s inner optimizer
  receives them unscaled), and with `gradient_accumulation_steps=k` the mean of the k accumulated
  gradients (Keras 3.15 itself cannot accumulate under a `MirroredStrategy`: its cond holds an
  all-reduce).
- `grad_zero_frac`: fraction of gradient entries that are exactly zero.
- `nonfinite`: number of measured steps whose gradient held a non-finite entry (a sum).
- `update_ratio`: `||w_after - w_before|| / ||w_before||` of one optimizer step, averaged over
  the measured steps whose update was finite (so that the step that blew the weights up still
  shows when the next one turns them non-finite).
- `weight_norm`: L2 norm of the layer's weights before the last measured update.
- `grad_max`, `grad_first`: largest finite and first measured `grad_norm` of the period (they
  show growth within an epoch, for example an explosion that ends in NaN).

`detach` restores the optimizers and drops the instrumented `train_function`, so later `fit`
calls, `evaluate` and model saving see the model exactly as before. A `fit` that ends in an
exception never detaches; the next `fit`'s `attach` finds the step already traced with the
telemetry on, and `release`s it first (`release_left_over` does it at `set_model`).

Example:

>>> telemetry = GradientTelemetry(model)    # doctest: +SKIP
>>> telemetry.attach()                      # doctest: +SKIP
>>> model.fit(x, y, epochs=1)               # doctest: +SKIP
>>> telemetry.read()["grad_norm"]           # doctest: +SKIP
{'dense': 0.12, 'dense_1': 0.31}

(In practice `GradientMonitor` attaches in `on_train_begin` and reads at every epoch end.)
"""

import math
import weakref

import numpy as np
import tensorflow as tf

import keras

from callbacks._arguments import Instance, keep_checked
from callbacks._step_switch import instrumentation_paused
from callbacks._trace_once import build_optimizer_before_trace
from zoo._keras_internals import (accumulated_gradient, all_layers, apply_calls, build_optimizer, optimizer_variables,
                                  patch_method, skippable_cond, unpatch_method)
from zoo._validation import Integer, Optional

SIGNALS = ("grad_norm", "grad_zero_frac", "nonfinite", "update_ratio", "weight_norm")

# Rows of the accumulator variable. All rows are sums, except `_GRAD_MAX`, a running maximum, and
# `_WEIGHT_NORM`, the latest value.
(
    _GRAD_NORM,
    _ZERO_FRAC,
    _NONFINITE,
    _STEPS,
    _UPDATE_RATIO,
    _UPDATE_STEPS,
    _FINITE_UPDATES,
    _FIRST_NONFINITE,
    _GRAD_FIRST,
    _GRAD_MAX,
    _WEIGHT_NORM,
) = range(11)
_ROWS = 11


_SHARED = weakref.WeakKeyDictionary()


# Sampling period for small models: the first measured steps of a `fit` and of each epoch matter
# most, and 16 keeps an epoch of a few dozen steps sampled at a few steps.
MIN_EVERY = 16
# Sampling period where cost decides. A measured step costs about half a training step at every
# size: 0.5-0.55 on dense networks from ~500k to 10M parameters (arithmetic: about 8 element-wise
# passes over the weights; benchmarks/telemetry_cost.py), and ~0.5 on a 59k-weight MLP whose
# 0.85 ms step is op dispatch (2-core CPU, 2026-12-01). One step in 64 is ~0.8% of the time.
MAX_EVERY = 64
# Between the two, one measured step per this many parameters.
PARAMETERS_PER_PERIOD = 8_000
# Measured steps an epoch keeps at least, besides its first: an epoch of 256 steps or more is
# sampled at MAX_EVERY whatever the model's size, and its means still rest on several steps.
MIN_MEASURED_PER_EPOCH = 4
# Entries of a variable kept to measure its update against. A larger variable is measured on this
# many fixed random entries (scaled up to its size): the estimate of the update's squared norm has
# a relative error of about 1/sqrt(4096) = 1.6% times the spread of the squared changes, and the
# snapshot stays 16 KB per variable whatever the model (all weights of a 10M model were 42 MB).
SNAPSHOT_ENTRIES = 4096
SNAPSHOT_SEED = 0
# Gradients of up to this many bytes in all are measured behind one `If` op
# (`zoo._keras_internals.skippable_cond`), which a skipped step passes in ~2.5 us; larger ones
# behind a lowered `tf.cond`, whose untaken branch costs ~0.15 us per op (benchmarks/cond_cost.py).
# An `If` op holding every gradient as its input made the 10.5M-weight model of
# benchmarks/overhead.py peak ~50 MB (5%) higher; below 1 MiB that is nothing, and above it a
# step is long enough that a few dozen skipped ops are lost in it.
UNLOWERED_GRADIENT_BYTES = 2**20
# Optimizer steps measured densely after `attach`: an explosion from a learning rate far too high
# happens in the first few dozen steps, before any sampling period comes round.
WARMUP_STEPS = 32


def automatic_every(model, steps_per_epoch=None):
    """The sampling period used when none is asked for: one measured step per
    `PARAMETERS_PER_PERIOD` trainable parameters, within `[MIN_EVERY, MAX_EVERY]`; and for an epoch
    of `steps_per_epoch` steps, as long a period as still measures `MIN_MEASURED_PER_EPOCH` steps of
    it, up to `MAX_EVERY`. That keeps the in-graph cost near 1% of a training step at batch 32 (less
    at larger batches) except on short epochs of small models, which keep a few measured steps.

    Args:
        model: the model whose trainable parameters are counted.
        steps_per_epoch: optimizer steps per epoch, or None if unknown.

    Example:

    >>> automatic_every(keras.Sequential([keras.Input((999,)), keras.layers.Dense(200)]))  # 200k
    25
    >>> automatic_every(keras.Sequential([keras.Input((999,)), keras.layers.Dense(1000)]))  # 1M
    64
    >>> automatic_every(keras.Sequential([keras.Input((99,)), keras.layers.Dense(10)]), 337)
    64
    """
    parameters = sum(math.prod(variable.shape) for variable in model.trainable_weights)
    every = min(MAX_EVERY, max(MIN_EVERY, math.ceil(parameters / PARAMETERS_PER_PERIOD)))
    if steps_per_epoch:
        every = max(every, min(MAX_EVERY, steps_per_epoch // MIN_MEASURED_PER_EPOCH))
    return every


def snapshot_indices(size):
    """The flat indices of a variable of `size` entries whose update is measured: None (all of
    them) up to `SNAPSHOT_ENTRIES`, else that many fixed random ones, ascending.

    Example:

    >>> snapshot_indices(10) is None, len(snapshot_indices(10**6))
    (True, 4096)
    """
    if size <= SNAPSHOT_ENTRIES:
        return None
    rng = np.random.default_rng(SNAPSHOT_SEED)
    return np.sort(rng.choice(size, SNAPSHOT_ENTRIES, replace=False))


def attached_telemetry(model):
    """The telemetry attached to `model` by a monitor of the current `fit`, or None. Unlike
    `shared_telemetry`, it never creates one."""
    telemetry = _SHARED.get(model)
    return telemetry if telemetry is not None and telemetry.attached else None


def attached_period(model):
    """The sampling period of the telemetry attached to `model` (optimizer steps), or None when
    none is attached."""
    telemetry = attached_telemetry(model)
    return None if telemetry is None else telemetry.every


def shared_telemetry(model, every=None):
    """The one `GradientTelemetry` of `model`, shared by every monitor of the same `fit`.

    Args:
        model: the model.
        every: the sampling period a monitor asks for, or None for `automatic_every(model)`. The
            smallest request of a `fit` wins (set it before the first training step).
    """
    telemetry = _SHARED.get(model)
    if telemetry is None:
        telemetry = GradientTelemetry(model, every=every)
        _SHARED[model] = telemetry
    elif telemetry._users == 0:
        telemetry.every = every  # a new `fit`: its first request
    elif every is not None and (telemetry.every is None or every < telemetry.every):
        telemetry.every = every
    return telemetry


def release_left_over(model):
    """Releases the telemetry of `model` if it is still attached (see `GradientTelemetry.release`).
    Call it when a new `fit` starts (a monitor's `set_model`): telemetry attached then is left
    over from a `fit` that ended in an exception."""
    telemetry = _SHARED.get(model)
    if telemetry is not None and telemetry.attached:
        telemetry.release()


def model_optimizers(model):
    """The optimizers that update `model`: `model.optimizer` (or the ones it lists in
    `.optimizers`) and any other optimizer attribute.

    A `LossScaleOptimizer` is replaced by its inner optimizer, which sees unscaled gradients.
    """
    candidates = [getattr(model, "optimizer", None)]
    # An object standing for several optimizers (the zoo DCGAN's) lists them in `.optimizers`.
    candidates += list(getattr(candidates[0], "optimizers", None) or [])
    candidates += [value for value in vars(model).values() if isinstance(value, keras.optimizers.Optimizer)]
    found = []
    for optimizer in candidates:
        while isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
            optimizer = optimizer.inner_optimizer
        if isinstance(optimizer, keras.optimizers.Optimizer) and all(optimizer is not o for o in found):
            found.append(optimizer)
    return found


def trainable_layers(model):
    """Maps every trainable variable of `model` to the innermost layer that owns it.

    Returns:
        `(names, owner)`: unique layer names, input side first, and `{variable_key: index}`.
    """
    owner_layer = {}
    for layer in all_layers(model):  # parents come before their children
        own = layer.trainable_weights
        for variable in own:
            key = _key(variable)
            current = owner_layer.get(key)
            # The innermost owner is the layer with the fewest weights that still holds it.
            if current is None or len(current.trainable_weights) >= len(own):
                owner_layer[key] = layer
    names, index_of_layer, owner = [], {}, {}
    for variable in model.trainable_weights:
        key = _key(variable)
        layer = owner_layer.get(key)
        label = layer.name if layer is not None else variable.path.rsplit("/", 1)[0]
        ident = id(layer) if layer is not None else label
        if ident not in index_of_layer:
            unique = label
            suffix = 1
            while unique in names:
                unique = f"{label}_{suffix}"
                suffix += 1
            index_of_layer[ident] = len(names)
            names.append(unique)
        owner[key] = index_of_layer[ident]
    return names, owner


def _replicas_in_sync():
    """Number of replicas of the current replica context (1 outside a multi-replica strategy)."""
    replica = tf.distribute.get_replica_context()
    return 1 if replica is None else replica.num_replicas_in_sync


def _key(variable):
    """Identity of a variable (the Keras variable that `model.trainable_weights` lists)."""
    return id(variable)

_CONSTRAINTS = {"model": Instance(keras.Model, "a keras.Model"), "every": Optional(Integer(minimum=1)),
                "warmup": Integer(minimum=0)}


class GradientTelemetry:
    """Collects per-layer gradient statistics inside the compiled training step.

    Args:
        model: a compiled `keras.Model` (any kind: Sequential, Functional, subclassed, with its own
            `train_step` and several optimizers).
        every: measure every this many optimizer steps; 1 measures every step; None chooses
            `automatic_every(model)` when the step is traced. Skipped steps cost a few scalar
            ops. The first `warmup` steps after `attach` and the first step after each
            `begin_period` are always measured (early steps are where a too-high learning rate
            blows up).
        warmup: number of optimizer steps measured densely after `attach`.
    """

    def __init__(self, model, every=1, warmup=WARMUP_STEPS):
        keep_checked(self, _CONSTRAINTS, model=model, every=every, warmup=warmup)
        self.layers = []
        self._owner = {}
        self._state = None
        self._snapshots = {}
        self._patched = []
        self._plans = {}
        self._users = 0
        self._period_values = None
        # Whether the step was traced since the first `attach` of the current users.
        self._traced = False

    @property
    def attached(self):
        return self._users > 0

    def attach(self):
        """Instruments the optimizers and forces `fit` to retrace the training step.

        Calls nest: each `attach` needs one `detach`; the last one restores the model. Attach
        before the first step of a `fit` (in `on_train_begin`): users whose step was traced
        since they attached are taken to be left over from an interrupted `fit`, and are
        `release`d first.
        """
        if self._left_over():
            self.release()
        self._users += 1
        if self._users > 1:
            return
        self._traced = False
        self._plans = {}
        self._state = None
        build_optimizer_before_trace(self.model)  # one trace of the step, not two
        self._make_state()
        for optimizer in model_optimizers(self.model):
            self._patch(optimizer)
        if self.model.train_function is not None or self.model.compiled:
            self.model.make_train_function(force=True)

    def _make_state(self):
        """Creates the accumulators; for a model built only by its first step, at trace time."""
        self.layers, self._owner = trainable_layers(self.model)
        if not self.layers and self._state is None and tf.inside_function():
            return
        strategy = self.model.distribute_strategy
        with tf.init_scope(), strategy.scope():
            self._state = _replica_local(self._initial_state(), "gradient_telemetry")
            # Number of coming optimizer steps that are measured whatever `every` says.
            self._force = _replica_local(float(max(1, self.warmup)), "gradient_telemetry_force")
            # Per optimizer, the iteration of its next measured step: a skipped step then costs
            # one comparison (a GAN's two optimizers each keep their own).
            self._next_step = {id(optimizer): _replica_local(np.int64(0), "gradient_telemetry_next_step")
                               for optimizer in model_optimizers(self.model)}
            # The weights (or `snapshot_indices` of them) before a measured update, to measure the
            # update against.
            self._snapshots = {}
            for variable in self.model.trainable_weights:
                indices = snapshot_indices(math.prod(variable.shape))
                shape = variable.shape if indices is None else (len(indices),)
                self._snapshots[_key(variable)] = (
                    _replica_local(tf.zeros(shape, variable.dtype), "telemetry_snapshot"), indices)

    def detach(self):
        """Restores the optimizers; the next `fit` builds a clean training step."""
        self._users = max(0, self._users - 1)
        if self._users > 0:
            return
        # The telemetry holds its model: a registry entry kept after the `fit` would keep the
        # model alive after the user let it go.
        if _SHARED.get(self.model) is self:
            del _SHARED[self.model]
        for token in reversed(self._patched):
            unpatch_method(token)
        self._patched = []
        self._plans = {}
        self.model.train_function = None

    def release(self):
        """Detaches every user at once: for telemetry left attached by a `fit` that ended in an
        exception. The optimizers and the model are as before the first `attach`."""
        if self._users:
            self._users = 1
            self.detach()
        self._traced = False

    def _left_over(self):
        return self._users > 0 and self._traced

    def begin_period(self):
        """Makes the next optimizer step a measured one (call at the start of every epoch)."""
        self._period_values = None
        if self._state is not None:
            for next_step in self._next_step.values():
                next_step.assign(np.int64(0))

    def period_values(self):
        """`read()` of the period that `begin_period` started, read once and shared: every
        monitor of a `fit` gets the same values at an epoch end, in whatever order they run."""
        if self._period_values is None:
            self._period_values = self.read(reset=True)
        return self._period_values

    def read(self, reset=True):
        """Returns `{signal: {layer: value}}` over the measured steps since the last reset.

        Means for `grad_norm`, `grad_zero_frac` and `update_ratio`; `nonfinite` counts measured
        steps whose gradient had a non-finite entry; `weight_norm` is taken before the last
        measured update. Also returns
        `"steps"` (measured steps per layer) and `"first_nonfinite_step"` (optimizer iteration of
        the first non-finite gradient, -1 if none). NaN where a layer had no measured step.
        """
        if self._state is None:
            return {}
        state = np.array(self._state.numpy(), dtype=np.float64)
        if reset:
            self._state.assign(self._initial_state())
        steps = state[_STEPS]
        update_steps = state[_UPDATE_STEPS]
        with np.errstate(divide="ignore", invalid="ignore"):
            values = {
                "grad_norm": np.where(steps > 0, state[_GRAD_NORM] / steps, np.nan),
                "grad_zero_frac": np.where(steps > 0, state[_ZERO_FRAC] / steps, np.nan),
                "nonfinite": np.where(steps > 0, state[_NONFINITE], np.nan),
                "update_ratio": np.where(state[_FINITE_UPDATES] > 0,
                                         state[_UPDATE_RATIO] / state[_FINITE_UPDATES], np.nan),
                # Measured in-graph after the last measured update (no per-variable reads here).
                "weight_norm": np.where(update_steps > 0, state[_WEIGHT_NORM], np.nan),
                "grad_max": np.where(steps > 0, state[_GRAD_MAX], np.nan),
                "grad_first": np.where(steps > 0, state[_GRAD_FIRST], np.nan),
                "steps": steps,
                "first_nonfinite_step": state[_FIRST_NONFINITE],
            }
        return {signal: dict(zip(self.layers, map(float, column))) for signal, column in values.items()}

    # -- internals -------------------------------------------------------------------------------

    def _initial_state(self):
        state = np.zeros((_ROWS, max(1, len(self.layers))), dtype=np.float32)
        state[_FIRST_NONFINITE] = -1.0
        return state

    def _patch(self, optimizer):
        original = optimizer.apply  # bound method (or an earlier instance attribute)
        telemetry = self

        def apply(grads, trainable_variables=None):
            if instrumentation_paused():  # the plain step of `StepSwitch`
                return original(grads, trainable_variables)
            telemetry._traced = True
            variables = list(optimizer_variables(optimizer) if trainable_variables is None else trainable_variables)
            grads = list(grads)
            plan = telemetry._plan(variables, grads)
            if plan is None:
                return original(grads, trainable_variables)
            if getattr(optimizer, "gradient_accumulation_steps", None):
                build_optimizer(optimizer, variables)  # its accumulators are read before `apply` runs
            sample = plan.before_update(grads, variables, optimizer, telemetry._next_step[id(optimizer)])
            result = original(grads, trainable_variables)
            plan.after_update(variables, sample)
            return result

        self._patched.append(patch_method(optimizer, "apply", apply))

    def _plan(self, variables, grads):
        if any(_key(v) not in self._owner for v in variables) and not self._plans:
            # Built by its first step (subclassed model): map the layers now.
            self._make_state()
        pairs = [
            (index, self._owner[_key(variable)])
            for index, (variable, grad) in enumerate(zip(variables, grads))
            if grad is not None and _key(variable) in self._owner
        ]
        if not pairs:
            return None
        signature = tuple((_key(variables[i]), i) for i, _ in pairs)
        plan = self._plans.get(signature)
        if plan is None:
            plan = _Plan(self, [i for i, _ in pairs], [layer for _, layer in pairs], variables)
            self._plans[signature] = plan
        return plan


class _Plan:
    """The in-graph computation for one `apply` call signature (one list of variables).

    Everything is reduced variable by variable (no flat copy of all gradients or weights). A
    measured step takes two `tf.cond`s: before the update, the gradient statistics, the weight
    norms and a copy of the weights (of `snapshot_indices` of them, for a large variable) into
    per-variable snapshot variables; after it, the update ratio against those snapshots. A
    skipped step runs the predicate and two conds whose untaken branches are skipped, whatever
    the size of the weights: two `If` ops (`zoo._keras_internals.skippable_cond`), or, for
    gradients over `UNLOWERED_GRADIENT_BYTES`, a lowered cond and an `If` op.
    """

    def __init__(self, telemetry, positions, layer_of_variable, variables):
        self.telemetry = telemetry
        self.positions = positions
        self.num_layers = max(1, len(telemetry.layers))
        self.layer_of_variable = np.asarray(layer_of_variable, dtype=np.int32)
        sizes = [float(np.prod(variables[i].shape)) for i in positions]
        layer_sizes = np.bincount(self.layer_of_variable, weights=sizes, minlength=self.num_layers)
        self.present = (layer_sizes > 0).astype(np.float32)
        self.layer_sizes = np.maximum(layer_sizes, 1).astype(np.float32)
        self.snapshots = [telemetry._snapshots[_key(variables[i])][0] for i in positions]
        self.samples = [telemetry._snapshots[_key(variables[i])][1] for i in positions]
        # A sampled variable's squared change, scaled to the whole variable.
        self.sample_scales = [1.0 if indices is None else size / len(indices)
                              for indices, size in zip(self.samples, sizes)]

    def before_update(self, grads, variables, optimizer, next_step):
        """Measures the gradients and snapshots the weights on a measured step.

        Returns the measured-step flag that `after_update` needs (None: every step is measured).
        """
        grads = [grads[i] for i in self.positions]
        variables = [variables[i] for i in self.positions]
        if _replicas_in_sync() > 1:
            # The local gradients are partial sums, and an all-reduce cannot run inside a
            # `tf.cond`: it runs on every step, the measurement itself stays behind the cond.
            grads = tf.distribute.get_replica_context().all_reduce(tf.distribute.ReduceOp.SUM, grads)
        telemetry = self.telemetry
        every = telemetry.every or automatic_every(telemetry.model)
        # Read here, not in the measuring branch: a branch that read the variable would hold its
        # increment back until the gradients exist. Keras' step that runs into the end of a dataset
        # of unknown length increments it, without gradients; a measured run must do the same.
        iterations = tf.convert_to_tensor(optimizer.iterations)
        accumulation = getattr(optimizer, "gradient_accumulation_steps", None)

        def applied():
            return _applied_gradients(optimizer, grads, variables, accumulation)

        if every == 1 and not accumulation:
            self._measure_gradients(applied(), variables, iterations)
            return None
        sample = tf.cast(iterations, tf.int64) >= next_step.value()
        if accumulation:
            # Only the last call of a cycle updates the weights (`iterations` counts updates).
            sample &= tf.equal((tf.cast(apply_calls(optimizer), tf.int64) + 1) % accumulation, 0)

        def measure():
            self._measure_gradients(applied(), variables, iterations, next_step, every)

        if sum(_bytes(grad) for grad in grads) <= UNLOWERED_GRADIENT_BYTES:
            skippable_cond(sample, measure)
        else:
            tf.cond(sample, measure, _skip)
        return sample

    def after_update(self, variables, sample):
        variables = [variables[i] for i in self.positions]
        if sample is None:
            self._measure_update(variables)
        else:
            # Its inputs are variables, not tensors the step holds: one `If` op costs no memory.
            skippable_cond(sample, lambda: self._measure_update(variables))

    def _per_layer(self, per_variable):
        """Sums of per-variable values (a list of scalars) over the variables of each layer."""
        return tf.math.unsorted_segment_sum(tf.stack(per_variable), self.layer_of_variable, self.num_layers)

    def _measure_gradients(self, grads, variables, iterations, next_step=None, every=1):
        telemetry = self.telemetry
        state = telemetry._state
        half_squares, nonzeros = zip(*(_half_squares_and_nonzeros(grad) for grad in grads))
        squares = 2.0 * self._per_layer(half_squares)
        zeros = self.layer_sizes - self._per_layer(nonzeros)
        present = tf.constant(self.present)
        # A step whose squared norm is not finite had a non-finite (or float32-overflowing) entry.
        nonfinite = tf.cast(tf.logical_not(tf.math.is_finite(squares)), tf.float32) * present
        old_first = state[_FIRST_NONFINITE]
        step = tf.cast(iterations, tf.float32)
        first = tf.where((old_first < 0) & (nonfinite > 0), step, old_first)
        zero = tf.zeros_like(present)
        norm = tf.sqrt(squares)
        finite_norm = tf.where(tf.math.is_finite(norm), norm, 0.0)
        is_first = tf.cast(tf.equal(state[_STEPS], 0.0), tf.float32) * present
        rows = [zero] * _ROWS
        rows[_GRAD_NORM] = norm
        rows[_ZERO_FRAC] = zeros / self.layer_sizes * present
        rows[_NONFINITE] = nonfinite
        rows[_STEPS] = present
        rows[_FIRST_NONFINITE] = first - old_first
        rows[_GRAD_FIRST] = finite_norm * is_first
        increment = tf.stack(rows)
        is_max_row = tf.constant(np.arange(_ROWS) == _GRAD_MAX)[:, None]
        running_max = tf.maximum(state.value(), finite_norm[None, :])
        # The weight norm before the update, exact; the update is measured against it.
        weights = 2.0 * self._per_layer([tf.nn.l2_loss(_as_float32(v.value)) for v in variables])
        is_weight_row = tf.constant(np.arange(_ROWS) == _WEIGHT_NORM)[:, None] & (present[None, :] > 0)
        updated = tf.where(is_max_row, running_max, state.value() + increment)
        state.assign(tf.where(is_weight_row, tf.sqrt(weights)[None, :], updated))
        force = tf.maximum(telemetry._force.value() - 1.0, 0.0)
        telemetry._force.assign(force)
        if next_step is not None:
            # The next step while warming up, else the next multiple of `every`.
            iteration = tf.cast(iterations, tf.int64)
            next_step.assign(tf.where(force > 0.0, iteration + 1, (iteration // every + 1) * every))
        for snapshot, variable, indices in zip(self.snapshots, variables, self.samples):
            snapshot.assign(_sampled(variable.value, indices))

    def _measure_update(self, variables):
        state = self.telemetry._state
        changes = []
        for snapshot, variable, indices, scale in zip(self.snapshots, variables, self.samples, self.sample_scales):
            after = _as_float32(_sampled(variable.value, indices))
            changes.append(scale * tf.nn.l2_loss(after - _as_float32(snapshot.value())))
        # Twice the halves of the sums of squares; the weight norm was measured before the update.
        change = 2.0 * self._per_layer(changes)
        size = tf.square(state[_WEIGHT_NORM])
        present = tf.constant(self.present)
        ratio = tf.where(size > 0, tf.sqrt(change) / tf.sqrt(tf.maximum(size, 1e-30)), 0.0) * present
        finite = tf.cast(tf.math.is_finite(ratio), tf.float32) * present
        rows = [tf.zeros_like(present)] * _ROWS
        rows[_UPDATE_RATIO] = tf.where(finite > 0, ratio, 0.0)
        rows[_UPDATE_STEPS], rows[_FINITE_UPDATES] = present, finite
        state.assign(state.value() + tf.stack(rows))


def _applied_gradients(optimizer, grads, variables, accumulation):
    """The gradients the update of this `apply` call uses, before clipping: `grads` divided by
    the optimizer's `loss_scale_factor`, and with `gradient_accumulation_steps` added to the
    gradients accumulated so far and divided by their number (as `apply` does)."""
    scale = getattr(optimizer, "loss_scale_factor", None)
    if scale is not None:
        grads = [_scaled(grad, 1.0 / float(scale)) for grad in grads]
    if accumulation:
        grads = [
            (_as_float32(tf.convert_to_tensor(grad)) + _as_float32(accumulated_gradient(optimizer, variable).value))
            / float(accumulation)
            for grad, variable in zip(grads, variables)
        ]
    return grads


def _scaled(grad, factor):
    """`grad` times `factor`, as float32 (an `IndexedSlices` stays one)."""
    if isinstance(grad, tf.IndexedSlices):
        return tf.IndexedSlices(_as_float32(grad.values) * factor, grad.indices, grad.dense_shape)
    return _as_float32(grad) * factor


def _sampled(value, indices):
    """`value` itself, or its flat entries at `indices` (`snapshot_indices`)."""
    if indices is None:
        return value
    dtype = tf.int64 if indices[-1] >= 2**31 else tf.int32
    return tf.gather(tf.reshape(value, [-1]), tf.constant(indices, dtype=dtype))


def _skip():
    """The branch of a skipped step: nothing."""


def _bytes(grad):
    """Size in bytes of a gradient (of an `IndexedSlices`, its values and indices)."""
    if isinstance(grad, tf.IndexedSlices):
        return _bytes(grad.values) + _bytes(grad.indices)
    return grad.shape.num_elements() * grad.dtype.size if grad.shape.is_fully_defined() else math.inf


def _replica_local(initial_value, name):
    """A non-trainable variable that each replica writes on its own, with no cross-replica
    communication (so it can be written inside a `tf.cond`); read back, the first replica's value.
    Every replica computes the same value from the all-reduced gradients."""
    return tf.Variable(
        initial_value,
        trainable=False,
        name=name,
        synchronization=tf.VariableSynchronization.ON_READ,
        aggregation=tf.VariableAggregation.ONLY_FIRST_REPLICA,
        # Not lifted: a `tf.function` whose trace creates a lifted variable traces itself twice
        # (the state of a model built by its first step is made while the step is traced).
        experimental_enable_variable_lifting=False,
    )


def _as_float32(tensor):
    return tensor if tensor.dtype == tf.float32 else tf.cast(tensor, tf.float32)


def _half_squares_and_nonzeros(grad):
    """Half the sum of squares (`tf.nn.l2_loss`, one fused op) and the number of non-zero entries
    of one gradient, as float32 scalars.

    An `IndexedSlices` (the gradient of an embedding lookup) is measured as sparse: rows with the
    same index are added first, so both figures are those of the dense gradient, whose rows that
    no index touches are zero.
    """
    values = _summed_rows(grad) if isinstance(grad, tf.IndexedSlices) else grad
    values = _as_float32(values)
    # Summed as float32 (exact up to 2**24 entries per variable): a third faster than
    # `count_nonzero`, whose int64 cast writes 8 bytes per entry.
    return tf.nn.l2_loss(values), tf.reduce_sum(tf.cast(tf.not_equal(values, 0.0), tf.float32))


def _summed_rows(slices):
    """The rows of `slices` with duplicate indices added together, padded with zero rows to the
    number of indices. Sort-based (not `tf.unique`), so it keeps static shapes for XLA."""
    indices = slices.indices
    order = tf.argsort(indices)
    ordered = tf.gather(indices, order)
    position = tf.range(tf.size(ordered))
    previous = tf.gather(ordered, tf.maximum(position - 1, 0))
    starts = tf.logical_or(tf.equal(position, 0), tf.not_equal(ordered, previous))
    group = tf.cumsum(tf.cast(starts, tf.int32)) - 1
    return tf.math.unsorted_segment_sum(tf.gather(slices.values, order), group, tf.size(ordered))
