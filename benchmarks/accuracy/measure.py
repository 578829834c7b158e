"""Ground truth with plain TensorFlow: gradient ratios, unit outputs, losses against chance,
curvature. Nothing here uses this library.

Each `verify` factory returns a function `Trained -> (holds, note)` for `scenario(verify=...)`.
The thresholds say what "the fault really happened" means, from the mechanism (how much slower a
layer learns, how many units can still respond, where the loss sits against chance); they are
chosen without looking at the detectors' constants.
"""

import math

import keras
import numpy as np
import tensorflow as tf

MEASURE_SAMPLES = 512
# Gradient of the first layer below 1e-3 of the last layer's: the first layer learns 1000x slower.
VANISHED_RATIO = 1e-3
# First layer's gradient above 1e3 of the last layer's, or a non-finite one.
EXPLODED_RATIO = 1e3
# A ReLU unit that is zero on every measured sample is dead; a layer that lost half its units has
# lost half its capacity.
DEAD_SHARE = 0.5
# A bounded unit within 5% of its range from a bound on 90% of the samples is saturated (its
# derivative is below ~0.05 of its peak there); 40% of a layer saturated is a large share.
SATURATION_MARGIN = 0.05
SATURATED_SAMPLES = 0.9
SATURATED_SHARE = 0.4
# Training "suffers" or "fails" when the training loss stays above this share of chance loss.
FAILING_LOSS_SHARE = 0.5
# A stall: loss within 1% of its start over at least this many consecutive epochs.
STALL_EPOCHS = 3
STALL_CHANGE = 0.01
# Hessian: negative curvature of at least 10% of the largest is a saddle's escape direction...
SADDLE_NEGATIVE_SHARE = 0.1
# ... if plain gradient descent can use it within the run: along an eigenvalue -l the distance
# from the saddle grows like exp(lr * l * steps); exp(3) = 20x is an escape under way, below
# exp(1) the direction is not resolved and the stall is a plateau.
SADDLE_GROWTH_EXPONENT = 3.0
PLATEAU_GROWTH_EXPONENT = 1.0
POWER_ITERATIONS = 30


# -- measurements ------------------------------------------------------------------------------


def inputs_of(x, n=MEASURE_SAMPLES):
    """The first `n` rows of `x` (an array, or a list of arrays for several inputs)."""
    return [part[:n] for part in x] if isinstance(x, (list, tuple)) else x[:n]


def loss_function(run):
    """The run's loss as `(y, y_pred) -> scalar mean` (a loss named by a string is a function
    that returns one value per sample)."""
    loss = keras.losses.get(run.loss) if isinstance(run.loss, str) else run.loss
    return lambda y, y_pred: tf.reduce_mean(loss(y, y_pred))


def layer_gradient_norms(model, loss, x, y):
    """`[(layer name, gradient norm of its kernel)]` in layer order, on `x`, `y`."""
    layers = [layer for layer in model.layers if layer.trainable_weights]
    kernels = [layer.trainable_weights[0] for layer in layers]
    with tf.GradientTape() as tape:
        value = loss(y, model(x, training=True))
    gradients = tape.gradient(value, kernels)
    return [(layer.name, float(tf.norm(g)) if g is not None else 0.0)
            for layer, g in zip(layers, gradients)]


def global_gradient_norm(model, loss, x, y):
    """Norm of the loss's gradient over every trainable weight at once (their global norm), on
    `x`, `y`; weights the loss does not reach count as zero."""
    with tf.GradientTape() as tape:
        value = loss(y, model(x, training=True))
    gradients = tape.gradient(value, model.trainable_variables)
    return float(tf.linalg.global_norm([g for g in gradients if g is not None]))


def hidden_outputs(model, x):
    """`{layer name: (activation name, outputs)}` of every hidden layer with a named activation."""
    layers = [layer for layer in model.layers[:-1]
              if getattr(getattr(layer, "activation", None), "__name__", None) in ("relu", "sigmoid", "tanh")]
    if not layers:
        return {}
    inputs = model.inputs if len(model.inputs) > 1 else model.inputs[0]
    probe = keras.Model(inputs, [layer.output for layer in layers])
    outputs = probe(x)
    outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
    return {layer.name: (layer.activation.__name__, np.asarray(out).reshape(len(out), -1))
            for layer, out in zip(layers, outputs)}


def dead_shares(model, x):
    """Share of ReLU units that are 0 on every sample of `x`, per ReLU layer."""
    return {name: float(np.mean(np.all(out <= 0, axis=0)))
            for name, (activation, out) in hidden_outputs(model, x).items() if activation == "relu"}


def saturated_shares(model, x):
    """Share of sigmoid/tanh units near a bound on most samples, per layer."""
    shares = {}
    for name, (activation, out) in hidden_outputs(model, x).items():
        if activation == "relu":
            continue
        low, high = (0.0, 1.0) if activation == "sigmoid" else (-1.0, 1.0)
        margin = SATURATION_MARGIN * (high - low)
        near = (out < low + margin) | (out > high - margin)
        shares[name] = float(np.mean(np.mean(near, axis=0) >= SATURATED_SAMPLES))
    return shares


def label_entropy(labels):
    """The cross-entropy of the best constant prediction on integer class `labels`: their
    entropy in nats (0.0 when every label is the same class).

    Example: `label_entropy(np.array([0, 1, 1, 0]))` is `log(2)`, 0.693.
    """
    p = np.bincount(labels) / len(labels)
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def chance_loss(run):
    """The loss of the best constant prediction on the training labels (cross-entropy: the
    label entropy, log(2) when there is one class only; squared error: the label variance)."""
    y = np.asarray(run.y)
    name = getattr(run.loss, "name", None) or getattr(run.loss, "__name__", None) or str(run.loss)
    if "crossentropy" not in name.replace("_", "").lower():
        return float(np.var(y))
    return class_chance(y.argmax(-1) if y.ndim > 1 and y.shape[-1] > 1 else y)


def class_chance(labels):
    """The cross-entropy of the best constant prediction on integer class `labels` (any shape):
    their entropy, or log(2) when there is one class only (a binary guess's loss).

    Example: `class_chance(np.array([[1], [1]]))` is `log(2)`, 0.693.
    """
    return label_entropy(np.asarray(labels).reshape(-1).astype("int64")) or math.log(2)


def backward_signals(model, x, y):
    """Norm of the loss's gradient with respect to each Conv2D's (3x3 `same`, stride 1) and Dense's
    pre-activations, input side first, under sparse categorical cross-entropy: the backward signal
    each layer receives. Other layers are applied as they are."""
    with tf.GradientTape() as tape:
        tensor, pre_activations = tf.constant(x), []
        for layer in model.layers:
            if isinstance(layer, keras.layers.Conv2D):
                pre_activation = tf.nn.conv2d(tensor, layer.kernel, 1, "SAME") + layer.bias
            elif isinstance(layer, keras.layers.Dense):
                pre_activation = tf.matmul(tensor, layer.kernel) + layer.bias
            else:
                tensor = layer(tensor)
                continue
            tape.watch(pre_activation)
            pre_activations.append(pre_activation)
            tensor = layer.activation(pre_activation)
        loss = tf.reduce_mean(keras.losses.sparse_categorical_crossentropy(y, tensor))
    return [float(tf.norm(g)) for g in tape.gradient(loss, pre_activations)]


def weights_equal(weights, initial_weights):
    """Whether every array of `weights` equals its partner in `initial_weights` exactly (a model
    whose weights never moved)."""
    return all(np.array_equal(a, b) for a, b in zip(weights, initial_weights))


def with_weights(model, weights, function):
    current = model.get_weights()
    model.set_weights(weights)
    try:
        return function()
    finally:
        model.set_weights(current)


def hessian_extremes(model, loss, x, y):
    """`(largest, smallest)` Hessian eigenvalue of the loss on `x`, `y`: power iteration on
    Hessian-vector products (nested `GradientTape`s), first for the spectral radius r, then on
    H + rI and H - rI, whose dominant eigenvalues are the largest and the smallest shifted."""
    variables = model.trainable_variables

    @tf.function
    def hvp(vector):
        with tf.GradientTape() as outer:
            with tf.GradientTape() as inner:
                value = loss(y, model(x, training=False))
            grads = inner.gradient(value, variables)
            dot = tf.add_n([tf.reduce_sum(g * v) for g, v in zip(grads, vector)])
        return outer.gradient(dot, variables)

    def dot(a, b):
        return sum(float(tf.reduce_sum(p * q)) for p, q in zip(a, b))

    def power(shift):
        """Dominant eigenvalue of H + shift I, and the norm of that product."""
        rng = np.random.default_rng(0)
        vector = [tf.constant(rng.normal(size=v.shape), tf.float32) for v in variables]
        value = norm = 0.0
        for _ in range(POWER_ITERATIONS):
            vector = [v / (math.sqrt(dot(vector, vector)) or 1.0) for v in vector]
            product = [h + shift * v for h, v in zip(hvp(vector), vector)]
            value, norm = dot(product, vector), math.sqrt(dot(product, product))
            vector = product
        return value, norm

    radius = power(0.0)[1]
    return power(radius)[0] - radius, power(-radius)[0] + radius


def finite(values):
    return bool(np.all(np.isfinite(np.asarray(values, dtype="float64"))))


def final_losses(trained):
    """`(training loss, validation loss)` of the last epoch in `trained.history`."""
    return trained.history["loss"][-1], trained.history["val_loss"][-1]


def longest_stall(losses):
    """Longest run of consecutive epochs whose loss stays within `STALL_CHANGE` of its start."""
    best = 0
    for start in range(len(losses)):
        end = start
        while end + 1 < len(losses) and abs(losses[end + 1] - losses[start]) <= STALL_CHANGE * abs(losses[start]):
            end += 1
        best = max(best, end - start + 1)
    return best


def input_gradient_per_step(model, loss, x, y):
    """Norm of the loss's gradient with respect to the input `x` (`(batch, timesteps, features)`)
    at each time step, shape `(timesteps,)`."""
    x = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x)
        value = loss(y, model(x, training=True))
    gradient = np.asarray(tape.gradient(value, x), dtype="float64")
    return np.sqrt(np.sum(np.square(gradient), axis=(0, 2)))


def timestep_gradient_norms(model, loss, x, y):
    """Norm of the loss's gradient with respect to the first layer's output (an Embedding or any
    per-step layer of a `Sequential` recurrent model) at each time step, shape `(timesteps,)`."""
    first, rest = model.layers[0], model.layers[1:]
    sequence = first(x)
    with tf.GradientTape() as tape:
        tape.watch(sequence)
        tensor = sequence
        for layer in rest:
            tensor = layer(tensor, training=True)
        value = loss(y, tensor)
    gradient = tape.gradient(value, sequence)
    return np.sqrt(np.sum(np.square(np.asarray(gradient, dtype="float64")), axis=(0, 2)))


# -- verify factories --------------------------------------------------------------------------


def _sample(trained):
    run = trained.run
    return inputs_of(run.x), inputs_of(run.y)


def gradients_vanish(ratio=VANISHED_RATIO):
    """The first layer's kernel gradient is below `ratio` of the last layer's, at the end."""
    def verify(trained):
        x, y = _sample(trained)
        norms = layer_gradient_norms(trained.run.model, loss_function(trained.run), x, y)
        value = norms[0][1] / max(norms[-1][1], 1e-30)
        return value < ratio, f"first/last gradient norm {value:.1e}"
    return verify


def gradients_explode(ratio=EXPLODED_RATIO):
    """At the initial weights the first layer's gradient is above `ratio` of the last layer's,
    or some gradient or the training loss is not finite."""
    def verify(trained):
        x, y = _sample(trained)
        model = trained.run.model
        norms = with_weights(model, trained.initial_weights,
                             lambda: layer_gradient_norms(model, loss_function(trained.run), x, y))
        values = [n for _, n in norms]
        if not finite(values) or not finite(trained.history["loss"]):
            return True, "non-finite gradient or loss"
        value = values[0] / max(values[-1], 1e-30)
        return value > ratio, f"initial first/last gradient norm {value:.1e}"
    return verify


def _initial_backward_signal_ratio(trained):
    """The first layer's backward signal (`backward_signals`) over the head's, at the initial
    weights."""
    x, y = _sample(trained)
    model = trained.run.model
    signals = with_weights(model, trained.initial_weights, lambda: backward_signals(model, x, y))
    return signals[0] / max(signals[-1], 1e-30)


def backward_signal_vanishes(ratio=VANISHED_RATIO):
    """At the initial weights the first layer's backward signal is below `ratio` of the head's
    (the kernel gradients' ratio understates it where the head's inputs are small too)."""
    def verify(trained):
        value = _initial_backward_signal_ratio(trained)
        return value < ratio, f"initial first/head backward signal {value:.1e}"
    return verify


def backward_signal_explodes(ratio=EXPLODED_RATIO):
    """The training loss is not finite, or at the initial weights the first layer's backward
    signal is above `ratio` of the head's."""
    def verify(trained):
        if not finite(trained.history["loss"]):
            return True, "non-finite loss"
        value = _initial_backward_signal_ratio(trained)
        return value > ratio, f"initial first/head backward signal {value:.1e}"
    return verify


def units_dead(share=DEAD_SHARE):
    """Some ReLU layer has at least `share` units that output 0 on every sample, at the end."""
    def verify(trained):
        x, _ = _sample(trained)
        shares = dead_shares(trained.run.model, x)
        worst = max(shares.values(), default=0.0)
        return worst >= share, f"dead ReLU share {worst:.2f}"
    return verify


def units_saturated(share=SATURATED_SHARE):
    """Some sigmoid/tanh layer has at least `share` saturated units at the end, and the training
    loss stays above `FAILING_LOSS_SHARE` of chance (learning suffers)."""
    def verify(trained):
        x, _ = _sample(trained)
        worst = max(saturated_shares(trained.run.model, x).values(), default=0.0)
        ratio = trained.history["loss"][-1] / chance_loss(trained.run)
        return worst >= share and ratio > FAILING_LOSS_SHARE, \
            f"saturated share {worst:.2f}, final loss / chance {ratio:.2f}"
    return verify


def fails_to_learn(share=FAILING_LOSS_SHARE):
    """The final training loss stays above `share` of the chance loss (or is not finite)."""
    def verify(trained):
        last = trained.history["loss"][-1]
        ratio = last / chance_loss(trained.run)
        return (not math.isfinite(last)) or ratio > share, f"final loss / chance {ratio:.2f}"
    return verify


def overfits(rise=0.1):
    """Validation loss ends `rise` (relative) above its minimum while training loss falls below
    the validation loss."""
    def verify(trained):
        val, train = trained.history["val_loss"], trained.history["loss"]
        best = min(val)
        return val[-1] > (1 + rise) * best and train[-1] < best, \
            f"val loss {best:.3f} -> {val[-1]:.3f}, train {train[-1]:.3f}"
    return verify


def generalizes(rise=0.1):
    """The opposite of `overfits(rise)`: a healthy run's validation loss does not end `rise`
    above its minimum while the training loss falls below it."""
    check = overfits(rise)

    def verify(trained):
        overfitted, note = check(trained)
        return not overfitted, note
    return verify


def oscillates(min_turns=0.4, min_swing=0.01, above_chance=2.0):
    """The epoch losses turn direction at `min_turns` of the epochs or more, by a mean swing of
    `min_swing` of the loss or more, and stay `above_chance` times the chance loss or more: the
    optimizer overshoots and the loss bounces instead of descending."""
    def verify(trained):
        loss = np.asarray(trained.history["loss"], dtype="float64")
        if not finite(loss):
            return False, "loss not finite"
        later = loss[1:]  # the first epoch falls from the initial loss whatever happens next
        steps = np.diff(later)
        turns = float(np.mean(np.sign(steps[1:]) != np.sign(steps[:-1])))
        swing = float(np.mean(np.abs(steps)) / np.mean(later))
        ratio = loss[-1] / chance_loss(trained.run)
        return turns >= min_turns and swing >= min_swing and ratio >= above_chance, \
            f"direction changes {turns:.2f}, swing {swing:.2f}, final loss / chance {ratio:.2f}"
    return verify


def becomes_non_finite():
    """The training loss or a weight becomes NaN or infinite."""
    def verify(trained):
        weights = trained.run.model.get_weights()
        ok = finite(trained.history["loss"]) and all(finite(w) for w in weights)
        return not ok, "non-finite loss or weights" if not ok else "all finite"
    return verify


def stalls_on_curvature(kind):
    """The loss starts at chance and stalls for `STALL_EPOCHS`, and the Hessian at the initial
    weights shows `kind`: "saddle" (negative curvature of at least `SADDLE_NEGATIVE_SHARE` of the
    largest, that gradient descent at the run's learning rate and step count follows by at least
    `SADDLE_GROWTH_EXPONENT`) or "plateau" (none it can follow by `PLATEAU_GROWTH_EXPONENT`)."""
    def verify(trained):
        run, model = trained.run, trained.run.model
        x, y = inputs_of(run.x, 256), inputs_of(run.y, 256)
        largest, smallest = with_weights(model, trained.initial_weights,
                                         lambda: hessian_extremes(model, loss_function(run), x, y))
        stall = longest_stall(trained.history["loss"])
        steps = run.epochs * math.ceil(len(run.y) / run.batch_size)
        growth = float(np.asarray(run.optimizer.learning_rate)) * max(0.0, -smallest) * steps
        if kind == "saddle":
            shape = smallest < -SADDLE_NEGATIVE_SHARE * abs(largest) and growth >= SADDLE_GROWTH_EXPONENT
        else:
            shape = growth < PLATEAU_GROWTH_EXPONENT
        high = trained.history["loss"][0] > (1 - STALL_CHANGE * 10) * chance_loss(run)
        return shape and high and stall >= STALL_EPOCHS, \
            f"hessian [{smallest:.1e}, {largest:.1e}], escape exponent {growth:.1f}, stall {stall} epochs"
    return verify


def labels_skewed(ratio=0.1):
    """The rarest class has at most `ratio` of the commonest class's training samples."""
    def verify(trained):
        y = np.asarray(trained.run.y).reshape(-1).astype("int64")
        counts = np.bincount(y)
        counts = counts[counts > 0]
        value = counts.min() / counts.max()
        return value <= ratio, f"rarest / commonest class {value:.3f}"
    return verify


def fact(check, note):
    """A structural fact of the run (its model, data or config): `check(run) -> bool`."""
    def verify(trained):
        return bool(check(trained.run)), note
    return verify


def all_of(*verifies):
    """Holds when every check holds; the notes are joined."""
    def verify(trained):
        results = [v(trained) for v in verifies]
        return all(ok for ok, _ in results), "; ".join(note for _, note in results)
    return verify


def trains_well(share=FAILING_LOSS_SHARE):
    """A healthy run: its loss is finite and ends below `share` of the chance loss."""
    def verify(trained):
        last = trained.history["loss"][-1]
        ratio = last / chance_loss(trained.run)
        return math.isfinite(last) and ratio < share, f"final loss / chance {ratio:.2f}"
    return verify


def heads_learn(heads, share=FAILING_LOSS_SHARE):
    """A healthy classifier with several outputs: each head's final training loss
    (`<head>_loss`) is below `share` of its labels' `class_chance`, and the run `generalizes()`.
    `run.y` holds the heads' labels by name (a dict) or in the order of `heads`."""
    generalization = generalizes()

    def verify(trained):
        y = trained.run.y
        labels = y if isinstance(y, dict) else dict(zip(heads, y))
        ratios = {head: trained.history[f"{head}_loss"][-1] / class_chance(labels[head]) for head in heads}
        ok, note = generalization(trained)
        return ok and max(ratios.values()) < share, \
            ", ".join(f"{h} loss / chance {r:.2f}" for h, r in ratios.items()) + f"; {note}"
    return verify


def trains_and_validates_well(share=FAILING_LOSS_SHARE, chance=label_entropy):
    """A healthy classifier: its final training and validation losses both end below `share` of
    the chance loss of their own labels (`chance(labels)`, by default `label_entropy`)."""
    def verify(trained):
        run = trained.run
        train = trained.history["loss"][-1] / chance(run.y)
        val = trained.history["val_loss"][-1] / chance(run.validation_data[1])
        return max(train, val) < share, f"final loss / chance {train:.2f}, val loss / chance {val:.2f}"
    return verify


def gradients_vanish_through_time(ratio=VANISHED_RATIO):
    """The gradient reaching the first time step is below `ratio` of the one reaching the last,
    at the end of the run, and the run fails to learn (the early tokens it needs cannot teach)."""
    failing = fails_to_learn()

    def verify(trained):
        x, y = _sample(trained)
        norms = timestep_gradient_norms(trained.run.model, loss_function(trained.run), x, y)
        value = norms[0] / max(norms[-1], 1e-30)
        learns, note = failing(trained)
        return value < ratio and learns, f"first/last time step gradient norm {value:.1e}; {note}"
    return verify
