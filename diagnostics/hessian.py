"""Curvature of the training loss: Hessian-vector products, extreme eigenvalues, trace, density.

The Hessian of a network's loss has as many rows as the network has weights, so it is never
formed. Everything here is built on one operation, the Hessian-vector product `H v`, computed by
double back-propagation inside a `tf.function` (one HVP costs about two gradient evaluations), on
one fixed batch, over the model's trainable variables flattened into one vector:

- `HessianProbe(model, x, y).hvp(v)`: `H v` for a flat NumPy vector `v`.
- `lanczos_extremes(probe)`: largest and smallest algebraic eigenvalue (and the eigenvector of
  the smallest), by Lanczos with full reorthogonalisation; ~20-30 HVPs.
- `hutchinson_trace(probe)`: `tr H = E[v' H v]` for Rademacher `v`, with its standard error.
- `eigenvalue_density(probe)`: stochastic Lanczos quadrature, a smoothed spectrum.

The loss is the one `model.compile` set (`model.compute_loss`, regularisation included), with the
model called in inference mode (`training=False`) so that dropout does not make the loss random.

Example:

>>> probe = HessianProbe(model, x_batch, y_batch)          # doctest: +SKIP
>>> spectrum = lanczos_extremes(probe, max_iter=30)        # doctest: +SKIP
>>> spectrum.max_eigenvalue, spectrum.min_eigenvalue       # doctest: +SKIP
(12.3, -0.41)
"""

import contextlib
import dataclasses
import math

import numpy as np
import tensorflow as tf

# Lanczos stops once the residual bound of both extreme Ritz values is below this fraction of
# the spectral radius: 1e-3 keeps the eigenvalues well inside the 2% that a diagnosis needs.
LANCZOS_TOLERANCE = 1e-3
# Below this norm the Krylov space is exhausted (the Hessian has fewer distinct eigenvalues
# than iterations); relative to the spectral radius, float32 HVPs are exact to about 1e-6.
BREAKDOWN_TOLERANCE = 1e-7


class HessianProbe:
    """Hessian-vector products of a compiled Keras model's loss on one fixed batch.

    Args:
        model: a built, compiled `keras.Model` (or any model with `compute_loss`), or None if
            `loss_fn` is given.
        x: input batch (array, tensor or structure of them).
        y: target batch.
        sample_weight: optional per-sample weights.
        loss_fn: optional `loss_fn(y_true, y_pred) -> scalar` used instead of the compiled loss
            (the model's regularisation losses are still added).
        variables: variables to differentiate with respect to; default `model.trainable_variables`.

    Attributes:
        size: number of scalar weights, the dimension of the Hessian.
        hvp_count: HVPs computed so far (the unit of cost).
    """

    def __init__(self, model, x, y, sample_weight=None, loss_fn=None, variables=None):
        if model is None or not hasattr(model, "trainable_variables"):
            raise TypeError(f"`model` must be a keras.Model. Received: model={model!r}")
        self.model = model
        self.variables = list(model.trainable_variables if variables is None else variables)
        if not self.variables:
            raise ValueError(f"`model` has no trainable variables. Received: model={model.name!r}")
        if loss_fn is None and getattr(model, "loss", None) is None and not model.losses:
            raise ValueError(
                "`model` must be compiled with a loss, or pass `loss_fn`. "
                f"Received: model={model.name!r}, loss_fn=None"
            )
        self.loss_fn = loss_fn
        self._x = tf.nest.map_structure(tf.convert_to_tensor, x)
        self._y = tf.nest.map_structure(tf.convert_to_tensor, y)
        self._sample_weight = None if sample_weight is None else tf.convert_to_tensor(sample_weight)
        self._shapes = [tuple(v.shape) for v in self.variables]
        self._sizes = [int(np.prod(shape)) for shape in self._shapes]
        self.size = int(sum(self._sizes))
        self.hvp_count = 0
        spec = tf.TensorSpec([self.size], tf.float32)
        self._hvp_fn = tf.function(self._hvp_graph, input_signature=[spec], reduce_retracing=True)
        self._grad_fn = tf.function(self._loss_and_gradient_graph)

    # -- graph functions -------------------------------------------------------------------------

    def _loss(self):
        y_pred = self.model(self._x, training=False)
        if self.loss_fn is not None:
            loss = self.loss_fn(self._y, y_pred)
            for extra in self.model.losses:
                loss = loss + tf.cast(extra, loss.dtype)
        else:
            loss = self.model.compute_loss(
                x=self._x, y=self._y, y_pred=y_pred, sample_weight=self._sample_weight, training=False
            )
        return tf.cast(loss, tf.float32)

    def _gradients(self, tape, loss):
        grads = tape.gradient(loss, self.variables, unconnected_gradients=tf.UnconnectedGradients.ZERO)
        return [tf.cast(tf.convert_to_tensor(g), tf.float32) for g in grads]

    def _loss_and_gradient_graph(self):
        with tf.GradientTape() as tape:
            loss = self._loss()
        grads = self._gradients(tape, loss)
        return loss, tf.concat([tf.reshape(g, [-1]) for g in grads], axis=0)

    def _hvp_graph(self, vector):
        parts = [
            tf.cast(tf.reshape(part, shape), v.dtype)
            for part, shape, v in zip(tf.split(vector, self._sizes), self._shapes, self.variables)
        ]
        with tf.GradientTape() as outer:
            with tf.GradientTape() as inner:
                loss = self._loss()
            grads = inner.gradient(loss, self.variables, unconnected_gradients=tf.UnconnectedGradients.ZERO)
            # An embedding's gradient comes as IndexedSlices, which a second gradient cannot go through.
            grads = [tf.convert_to_tensor(g) for g in grads]
        products = outer.gradient(
            grads, self.variables, output_gradients=parts, unconnected_gradients=tf.UnconnectedGradients.ZERO
        )
        return tf.concat([tf.reshape(tf.cast(tf.convert_to_tensor(p), tf.float32), [-1]) for p in products], axis=0)

    # -- public ----------------------------------------------------------------------------------

    def hvp(self, vector):
        """Returns `H @ vector` as a float64 NumPy array; `vector` has shape `(size,)`."""
        vector = np.asarray(vector)
        if vector.shape != (self.size,):
            raise ValueError(f"`vector` must have shape ({self.size},). Received: vector.shape={vector.shape}")
        self.hvp_count += 1
        return self._hvp_fn(tf.constant(vector, tf.float32)).numpy().astype(np.float64)

    def loss_and_gradient(self):
        """Returns `(loss, flat gradient)` on the probe batch, as float and float64 array."""
        loss, grad = self._grad_fn()
        return float(loss), grad.numpy().astype(np.float64)

    def weights(self):
        """Current trainable weights, flattened (float64)."""
        return np.concatenate([np.ravel(v.numpy()).astype(np.float64) for v in self.variables])

    def variable_values(self):
        """Copies of the trainable variables' values, one array per variable (see `at_weights`)."""
        return [np.array(v.numpy()) for v in self.variables]

    @contextlib.contextmanager
    def at_weights(self, values):
        """Within the `with` block the trainable variables hold `values` (one array per variable,
        as `variable_values` gives); afterwards their own values are restored exactly.

        Example:

        >>> with probe.at_weights(initial_values):            # doctest: +SKIP
        ...     spectrum = lanczos_extremes(probe)
        """
        shapes = [tuple(np.shape(value)) for value in values]
        if shapes != self._shapes:
            raise ValueError(f"`values` must have the variables' shapes {self._shapes}. Received: values shapes={shapes}")
        saved = self.variable_values()
        try:
            for variable, value in zip(self.variables, values):
                variable.assign(tf.cast(value, variable.dtype))
            yield
        finally:
            for variable, value in zip(self.variables, saved):
                variable.assign(value)

    def add_to_weights(self, delta):
        """Adds a flat vector `delta` to the trainable weights (used to step off a saddle)."""
        delta = np.asarray(delta)
        if delta.shape != (self.size,):
            raise ValueError(f"`delta` must have shape ({self.size},). Received: delta.shape={delta.shape}")
        offset = 0
        for variable, shape, size in zip(self.variables, self._shapes, self._sizes):
            part = delta[offset : offset + size].reshape(shape)
            variable.assign_add(tf.cast(part, variable.dtype))
            offset += size


def dense_hessian(probe):
    """The exact Hessian, column by column (`size` HVPs): for tests and tiny models only."""
    identity = np.eye(probe.size)
    columns = [probe.hvp(identity[i]) for i in range(probe.size)]
    hessian = np.stack(columns, axis=1)
    return 0.5 * (hessian + hessian.T)


# ----------------------------------------------------------------------------------------------
# Lanczos.


@dataclasses.dataclass
class Spectrum:
    """Extreme eigenvalues of the Hessian, as estimated by Lanczos.

    Attributes:
        max_eigenvalue: largest algebraic eigenvalue.
        min_eigenvalue: smallest algebraic eigenvalue (negative at a saddle).
        min_eigenvector: unit eigenvector of `min_eigenvalue` (flat, float64), or None.
        ritz_values: all Ritz values of the last iteration, ascending.
        hvps: Hessian-vector products used.
        converged: whether both extremes met the residual tolerance.
    """

    max_eigenvalue: float
    min_eigenvalue: float
    min_eigenvector: "np.ndarray | None"
    ritz_values: np.ndarray
    hvps: int
    converged: bool

    @property
    def negative_ratio(self):
        """`-min / max` over the magnitude scale: > 0 when there is negative curvature."""
        scale = max(abs(self.max_eigenvalue), abs(self.min_eigenvalue))
        return -self.min_eigenvalue / scale if scale > 0 else 0.0

    def to_dict(self):
        """JSON-safe summary (no eigenvector)."""
        return {
            "max_eigenvalue": float(self.max_eigenvalue),
            "min_eigenvalue": float(self.min_eigenvalue),
            "hvps": int(self.hvps),
            "converged": bool(self.converged),
        }


def _single_threaded_blas():
    """The Lanczos vector algebra is memory-bound; BLAS threads only fight the TensorFlow threads
    that compute the HVPs (60x slower on a busy 2-core machine). One BLAS thread, if we can."""
    global _BLAS_CONTROLLER
    if _BLAS_CONTROLLER is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
            return contextlib.nullcontext()
        _BLAS_CONTROLLER = ThreadpoolController()  # finding the libraries takes ~50 ms: once
    return _BLAS_CONTROLLER.limit(limits=1, user_api="blas")


_BLAS_CONTROLLER = None


def _lanczos(matvec, size, steps, rng, tolerance=None, start=None):
    with _single_threaded_blas():
        return _lanczos_steps(matvec, size, steps, rng, tolerance, start)


def _lanczos_steps(matvec, size, steps, rng, tolerance, start):
    """Lanczos with full reorthogonalisation.

    Returns `(alphas, betas, basis, residual)`: the tridiagonal's diagonal and off-diagonal, the
    orthonormal Krylov basis (rows) and the norm of the last residual vector. With `tolerance`,
    stops early once both extreme Ritz values have a residual bound below `tolerance` times the
    spectral radius.
    """
    q = rng.standard_normal(size) if start is None else np.asarray(start, dtype=np.float64)
    q /= np.linalg.norm(q)
    basis = [q]
    alphas, betas = [], []
    for step in range(steps):
        w = matvec(basis[-1])
        alpha = float(basis[-1] @ w)
        alphas.append(alpha)
        # Full reorthogonalisation, applied twice ("twice is enough"): float32 HVPs otherwise
        # let the basis lose orthogonality and produce spurious copies of converged eigenvalues.
        stacked = np.asarray(basis)
        for _ in range(2):
            w = w - stacked.T @ (stacked @ w)
        beta = float(np.linalg.norm(w))
        if step == steps - 1 or len(basis) == size:
            break
        radius = max(abs(a) for a in alphas) + (max(betas) if betas else 0.0)
        if beta <= BREAKDOWN_TOLERANCE * max(radius, 1e-30):
            break
        if tolerance is not None and step >= 2:
            theta, vectors = _tridiagonal_eigh(alphas, betas)
            bounds = beta * np.abs(vectors[-1, [0, -1]])
            scale = max(abs(theta[0]), abs(theta[-1]), 1e-30)
            if np.all(bounds <= tolerance * scale):
                break
        betas.append(beta)
        basis.append(w / beta)
    return np.asarray(alphas), np.asarray(betas), np.asarray(basis), beta


def _tridiagonal_eigh(alphas, betas):
    alphas = np.asarray(alphas, dtype=np.float64)
    betas = np.asarray(betas, dtype=np.float64)[: len(alphas) - 1]
    if not (np.all(np.isfinite(alphas)) and np.all(np.isfinite(betas))):
        # A non-finite loss (or weights) gives non-finite Hessian-vector products: no spectrum.
        raise FloatingPointError("the Hessian-vector products are not finite (non-finite loss or weights)")
    tridiagonal = np.diag(alphas) + np.diag(betas, 1) + np.diag(betas, -1)
    return np.linalg.eigh(tridiagonal)


def lanczos_extremes(probe, max_iter=30, tolerance=LANCZOS_TOLERANCE, seed=0, eigenvector=True):
    """Largest and smallest algebraic eigenvalues of the Hessian by Lanczos.

    Args:
        probe: a `HessianProbe` (or any object with `hvp(v)` and `size`).
        max_iter: most HVPs to spend (Lanczos steps). Extreme eigenvalues usually converge in
            15-30 steps; on a model with fewer weights than this the result is exact.
        tolerance: stop once both extremes' residual bounds are below `tolerance` x spectral radius.
        seed: seed of the random start vector.
        eigenvector: also return the eigenvector of the smallest eigenvalue.

    Returns:
        `Spectrum`.
    """
    if isinstance(max_iter, bool) or not isinstance(max_iter, int) or max_iter < 1:
        raise ValueError(f"`max_iter` must be a positive integer. Received: max_iter={max_iter!r}")
    steps = min(max_iter, probe.size)
    alphas, betas, basis, residual = _lanczos(
        probe.hvp, probe.size, steps, np.random.default_rng(seed), tolerance
    )
    theta, vectors = _tridiagonal_eigh(alphas, betas)
    # Residual bound of a Ritz pair: the last residual norm times the Ritz vector's last entry.
    bounds = residual * np.abs(vectors[-1, [0, -1]])
    scale = max(abs(theta[0]), abs(theta[-1]), 1e-30)
    converged = bool(len(alphas) == probe.size or np.all(bounds <= tolerance * scale))
    min_vector = None
    if eigenvector:
        min_vector = basis.T @ vectors[:, 0]
        min_vector /= np.linalg.norm(min_vector)
    return Spectrum(
        max_eigenvalue=float(theta[-1]),
        min_eigenvalue=float(theta[0]),
        min_eigenvector=min_vector,
        ritz_values=theta,
        hvps=len(alphas),
        converged=converged,
    )


# ----------------------------------------------------------------------------------------------
# Trace and density.


def hutchinson_trace(probe, num_samples=30, seed=0):
    """Hutchinson's estimate of the Hessian trace with Rademacher vectors.

    `E[v' H v] = tr H` when the entries of `v` are independent +-1; the standard error of the
    mean of `num_samples` draws shrinks as `1/sqrt(num_samples)`.

    Returns:
        `(trace, standard_error)`.
    """
    if isinstance(num_samples, bool) or not isinstance(num_samples, int) or num_samples < 2:
        raise ValueError(f"`num_samples` must be an integer >= 2. Received: num_samples={num_samples!r}")
    rng = np.random.default_rng(seed)
    samples = []
    for _ in range(num_samples):
        v = rng.choice([-1.0, 1.0], size=probe.size)
        samples.append(float(v @ probe.hvp(v)))
    samples = np.asarray(samples)
    return float(samples.mean()), float(samples.std(ddof=1) / math.sqrt(num_samples))


def eigenvalue_density(probe, num_runs=3, num_steps=20, grid_size=200, sigma=None, seed=0):
    """Smoothed eigenvalue density by stochastic Lanczos quadrature.

    Each run starts Lanczos from a random unit vector; the Ritz values are quadrature nodes and
    the squared first components of the Ritz vectors their weights. A Gaussian of width `sigma`
    around each node gives a density that integrates to about 1 (multiply by `probe.size` for
    an eigenvalue count).

    Returns:
        `(grid, density, nodes, weights)`: the grid and density arrays, and the nodes and weights
        of all runs (concatenated; weights sum to 1).
    """
    rng = np.random.default_rng(seed)
    nodes, weights = [], []
    steps = min(num_steps, probe.size)
    for _ in range(num_runs):
        alphas, betas, _, _ = _lanczos(probe.hvp, probe.size, steps, rng)
        theta, vectors = _tridiagonal_eigh(alphas, betas)
        nodes.append(theta)
        weights.append(vectors[0, :] ** 2 / num_runs)
    nodes, weights = np.concatenate(nodes), np.concatenate(weights)
    low, high = nodes.min(), nodes.max()
    span = max(high - low, 1e-12)
    sigma = sigma if sigma is not None else span / 50.0
    grid = np.linspace(low - 5 * sigma, high + 5 * sigma, grid_size)
    kernels = np.exp(-0.5 * ((grid[:, None] - nodes[None, :]) / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi))
    density = kernels @ weights
    return grid, density, nodes, weights
