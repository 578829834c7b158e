"""Small offline datasets for the classic training problems, and a thin `tfds.load` wrapper.

Nothing here downloads anything except `load_tfds`, which is for users with a network (and is
tested offline with `tfds.testing.mock_data`).

- `load_digits`: scikit-learn's 1,797 8x8 digit images, split into train/validation/test
  (stratified, seeded), scaled, as images or flat vectors, optionally long-tailed.
- `make_xor`, `make_moons`, `make_circles`, `make_spirals`: 2-D toy classification sets.
- `make_adding_problem`, `make_copy_task`: long-range dependencies for recurrent networks.
- `load_tfds`: TensorFlow Datasets as float images and `(x, y)` arrays or a batched dataset.

Every function returns float32 inputs and int32 class labels (float32 regression targets).

Example:

>>> from zoo import datasets
>>> (x, y), (x_val, y_val), (x_test, y_test) = datasets.load_digits(imbalance_ratio=40)
>>> x.shape[1:], x.dtype
((8, 8, 1), dtype('float32'))
>>> x, y = datasets.make_adding_problem(1000, timesteps=100)
"""

import numpy as np
import sklearn.datasets
from sklearn.model_selection import train_test_split

from zoo import _validation

DIGITS_SCALES = ("unit", "symmetric", "standard", "none", None)
LAYOUTS = ("image", "flat")
TFDS_SCALES = ("unit", "symmetric", "none", None)


def _check_seed(seed):
    return _validation.check_int("seed", seed, minimum=0, maximum=2**32 - 1)


def _check_samples(n_samples, minimum=1):
    return _validation.check_int("n_samples", n_samples, minimum=minimum, maximum=10**8)


# -- digits ----------------------------------------------------------------------------------


def long_tail_counts(counts, imbalance_ratio):
    """Geometrically decaying class counts: class k keeps `counts[k] * ratio ** (-k / (K - 1))`.

    The first class keeps all its examples, the last keeps `1 / imbalance_ratio` of them (at
    least one), the ones between decay geometrically (Cui et al. 2019's "long-tailed" profile).

    Args:
        counts: examples per class, in the order head -> tail.
        imbalance_ratio: the ratio of the first class's share to the last one's, >= 1.

    Returns:
        `np.ndarray` of int: the number of examples to keep per class.
    """
    counts = np.asarray(counts)
    imbalance_ratio = _validation.check_float("imbalance_ratio", imbalance_ratio, minimum=1.0)
    if len(counts) < 2:
        return counts.copy()
    exponents = np.arange(len(counts)) / (len(counts) - 1)
    keep = np.floor(counts * imbalance_ratio ** (-exponents)).astype(int)
    return np.clip(keep, 1, counts)


def load_digits(
    layout="image",
    scale="unit",
    validation_split=0.1,
    test_split=0.2,
    imbalance_ratio=None,
    seed=0,
):
    """scikit-learn's 8x8 digits (1,797 images, 10 classes) split into train/validation/test.

    The splits are stratified and seeded. With `imbalance_ratio`, only the *training* split is
    made long-tailed (class 0 keeps all its examples, class 9 keeps 1/imbalance_ratio of them,
    geometric in between; see `long_tail_counts`), so that validation and test measure every
    class equally, as in the long-tailed recognition literature.

    Args:
        layout: `"image"` for `(n, 8, 8, 1)` or `"flat"` for `(n, 64)`.
        scale: `"unit"` (pixels in [0, 1]), `"symmetric"` ([-1, 1], for a tanh generator),
            `"standard"` (zero mean, unit variance per pixel, from training statistics) or
            `"none"` or `None` (the raw 0..16 values).
        validation_split: fraction of all examples for validation, in [0, 1).
        test_split: fraction of all examples for test, in [0, 1).
        imbalance_ratio: `None` (balanced) or a float >= 1: largest over smallest training class.
        seed: integer seed of the splits and of the long-tail subsampling.

    Returns:
        `((x_train, y_train), (x_val, y_val), (x_test, y_test))`; x float32, y int32. An empty
        split has zero rows.
    """
    _validation.check_choice("layout", layout, LAYOUTS)
    _validation.check_choice("scale", scale, DIGITS_SCALES)
    validation_split = _validation.check_float(
        "validation_split", validation_split, minimum=0.0, maximum=1.0, max_inclusive=False
    )
    test_split = _validation.check_float(
        "test_split", test_split, minimum=0.0, maximum=1.0, max_inclusive=False
    )
    if validation_split + test_split >= 0.9:
        raise ValueError(
            "`validation_split` + `test_split` must leave at least 10% for training. "
            f"Received: validation_split={validation_split}, test_split={test_split}"
        )
    if imbalance_ratio is not None:
        _validation.check_float("imbalance_ratio", imbalance_ratio, minimum=1.0)
    seed = _check_seed(seed)

    digits = sklearn.datasets.load_digits()
    x, y = digits.data.astype("float32"), digits.target.astype("int32")
    x_train, y_train, x_test, y_test = _split(x, y, test_split, seed)
    x_train, y_train, x_val, y_val = _split(
        x_train, y_train, validation_split / (1.0 - test_split), seed + 1
    )
    if imbalance_ratio is not None:
        x_train, y_train = _long_tail(x_train, y_train, imbalance_ratio, seed)

    x_train, x_val, x_test = _scale_digits((x_train, x_val, x_test), scale)
    if layout == "image":
        x_train, x_val, x_test = (part.reshape(-1, 8, 8, 1) for part in (x_train, x_val, x_test))
    return (x_train, y_train), (x_val, y_val), (x_test, y_test)


def _split(x, y, fraction, seed):
    """Stratified split; returns (x_rest, y_rest, x_part, y_part), the part empty at fraction 0."""
    if fraction == 0.0:
        return x, y, x[:0], y[:0]
    x_rest, x_part, y_rest, y_part = train_test_split(
        x, y, test_size=fraction, stratify=y, random_state=seed
    )
    return x_rest, y_rest, x_part, y_part


def _long_tail(x, y, imbalance_ratio, seed):
    classes, counts = np.unique(y, return_counts=True)
    keep = long_tail_counts(counts, imbalance_ratio)
    rng = np.random.default_rng(seed)
    chosen = [
        rng.choice(np.flatnonzero(y == label), size=count, replace=False)
        for label, count in zip(classes, keep)
    ]
    chosen = np.sort(np.concatenate(chosen))
    return x[chosen], y[chosen]


def _scale_digits(parts, scale):
    if scale == "unit":
        return tuple(part / 16.0 for part in parts)
    if scale == "symmetric":
        return tuple(part / 8.0 - 1.0 for part in parts)
    if scale == "standard":
        mean = parts[0].mean(axis=0)
        std = parts[0].std(axis=0)
        std[std == 0] = 1.0  # Border pixels that are always blank stay 0.
        return tuple(((part - mean) / std).astype("float32") for part in parts)
    return parts


# -- 2-D toy sets ----------------------------------------------------------------------------


def make_xor(n_samples=200, noise=0.1, seed=0):
    """The XOR problem: points around the four corners of the unit square, labelled x1 XOR x2.

    With `n_samples=4, noise=0` it is exactly the truth table. No line separates the classes, so a
    perceptron cannot exceed 75% accuracy; one hidden layer solves it.

    Args:
        n_samples: number of points (the corners are used in turn, then shuffled).
        noise: standard deviation of the Gaussian noise added to each coordinate.
        seed: integer seed.

    Returns:
        `(x, y)`: x float32 `(n_samples, 2)`, y int32 `(n_samples,)` in {0, 1}.
    """
    n_samples = _check_samples(n_samples)
    noise = _validation.check_float("noise", noise, minimum=0.0)
    rng = np.random.default_rng(_check_seed(seed))
    corners = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float32")
    labels = np.array([0, 1, 1, 0], dtype="int32")
    index = rng.permutation(np.arange(n_samples) % 4)
    x = corners[index] + rng.normal(0.0, noise, size=(n_samples, 2))
    return x.astype("float32"), labels[index]


def make_moons(n_samples=200, noise=0.1, seed=0):
    """Two interleaving half circles (scikit-learn's `make_moons`), as float32/int32 arrays."""
    n_samples = _check_samples(n_samples, minimum=2)
    noise = _validation.check_float("noise", noise, minimum=0.0)
    x, y = sklearn.datasets.make_moons(n_samples, noise=noise, random_state=_check_seed(seed))
    return x.astype("float32"), y.astype("int32")


def make_circles(n_samples=200, noise=0.05, factor=0.5, seed=0):
    """A small circle inside a large one (scikit-learn's `make_circles`).

    Args:
        n_samples: number of points.
        noise: standard deviation of the Gaussian noise.
        factor: radius of the inner circle relative to the outer one, in (0, 1).
        seed: integer seed.

    Returns:
        `(x, y)`: x float32 `(n_samples, 2)`, y int32 (1 = inner circle).
    """
    n_samples = _check_samples(n_samples, minimum=2)
    noise = _validation.check_float("noise", noise, minimum=0.0)
    factor = _validation.check_float(
        "factor", factor, minimum=0.0, maximum=1.0, min_inclusive=False, max_inclusive=False
    )
    x, y = sklearn.datasets.make_circles(
        n_samples, noise=noise, factor=factor, random_state=_check_seed(seed)
    )
    return x.astype("float32"), y.astype("int32")


def make_spirals(n_samples=200, noise=0.05, turns=1.5, seed=0):
    """Two interleaved spirals (Lang and Witbrock, 1988): a hard 2-D set for shallow nets.

    Args:
        n_samples: number of points, split evenly between the two spirals.
        noise: standard deviation of the Gaussian noise added to each coordinate.
        turns: how many full turns each spiral makes.
        seed: integer seed.

    Returns:
        `(x, y)`: x float32 `(n_samples, 2)` within about [-1, 1], y int32 in {0, 1}.
    """
    n_samples = _check_samples(n_samples, minimum=2)
    noise = _validation.check_float("noise", noise, minimum=0.0)
    turns = _validation.check_float("turns", turns, minimum=0.0, min_inclusive=False, maximum=100.0)
    rng = np.random.default_rng(_check_seed(seed))
    y = (np.arange(n_samples) % 2).astype("int32")
    radius = rng.uniform(0.05, 1.0, size=n_samples)
    angle = 2 * np.pi * turns * radius + np.pi * y  # The second spiral is the first, rotated.
    x = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    x += rng.normal(0.0, noise, size=x.shape)
    order = rng.permutation(n_samples)
    return x[order].astype("float32"), y[order]


# -- long-range dependencies -----------------------------------------------------------------


def make_adding_problem(n_samples=1000, timesteps=50, seed=0):
    """The adding problem (Hochreiter and Schmidhuber, 1997; as set up by Le et al., 2015).

    Each sequence has two channels: random values in [0, 1], and a marker that is 1 at exactly two
    steps (one in each half of the sequence) and 0 elsewhere. The target is the sum of the two
    marked values. Always predicting 1 gives a mean squared error of about 0.167; beating that
    needs memory over `timesteps` steps.

    Args:
        n_samples: number of sequences.
        timesteps: sequence length, >= 2.
        seed: integer seed.

    Returns:
        `(x, y)`: x float32 `(n_samples, timesteps, 2)`, y float32 `(n_samples, 1)`.
    """
    n_samples = _check_samples(n_samples)
    timesteps = _validation.check_int("timesteps", timesteps, minimum=2, maximum=100_000)
    rng = np.random.default_rng(_check_seed(seed))
    values = rng.uniform(0.0, 1.0, size=(n_samples, timesteps))
    half = timesteps // 2
    first = rng.integers(0, half, size=n_samples)
    second = rng.integers(half, timesteps, size=n_samples)
    markers = np.zeros_like(values)
    rows = np.arange(n_samples)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    x = np.stack([values, markers], axis=-1).astype("float32")
    y = (values[rows, first] + values[rows, second]).astype("float32")[:, None]
    return x, y


def make_copy_task(
    n_samples=1000, timesteps=20, sequence_length=10, num_symbols=8, one_hot=True, seed=0
):
    """The copy task (Hochreiter and Schmidhuber, 1997; as set up by Arjovsky et al., 2016).

    The network reads `sequence_length` random symbols, then `timesteps - 1` blanks, then a
    delimiter; it must then output the symbols in order. Before that it must output blanks. The
    whole sequence has `timesteps + 2 * sequence_length` steps. Outputting blanks and then
    uniformly random symbols gives a cross-entropy of `sequence_length * log(num_symbols) /
    (timesteps + 2 * sequence_length)`: the baseline to beat.

    Codes: 0 = blank, 1..num_symbols = symbols, num_symbols + 1 = delimiter.

    Args:
        n_samples: number of sequences.
        timesteps: the delay between the end of the symbols and the delimiter (>= 1).
        sequence_length: how many symbols to copy.
        num_symbols: size of the alphabet.
        one_hot: inputs one-hot `(n, steps, num_symbols + 2)`; else integer codes `(n, steps)`.
        seed: integer seed.

    Returns:
        `(x, y)`: x float32 (one-hot) or int32 codes; y int32 `(n_samples, steps)` codes, for a
        sparse categorical cross-entropy over `num_symbols + 2` classes per step.
    """
    n_samples = _check_samples(n_samples)
    timesteps = _validation.check_int("timesteps", timesteps, minimum=1, maximum=100_000)
    sequence_length = _validation.check_int(
        "sequence_length", sequence_length, minimum=1, maximum=10_000
    )
    num_symbols = _validation.check_int("num_symbols", num_symbols, minimum=1, maximum=1_000)
    one_hot = _validation.check_bool("one_hot", one_hot)
    rng = np.random.default_rng(_check_seed(seed))
    steps = timesteps + 2 * sequence_length
    symbols = rng.integers(1, num_symbols + 1, size=(n_samples, sequence_length))
    x = np.zeros((n_samples, steps), dtype="int32")
    y = np.zeros((n_samples, steps), dtype="int32")
    x[:, :sequence_length] = symbols
    x[:, sequence_length + timesteps - 1] = num_symbols + 1
    y[:, -sequence_length:] = symbols
    if one_hot:
        x = np.eye(num_symbols + 2, dtype="float32")[x]
    return x, y


# -- TensorFlow Datasets ---------------------------------------------------------------------


def load_tfds(
    name,
    split="train",
    as_supervised=True,
    as_numpy=True,
    scale="unit",
    batch_size=None,
    shuffle_files=False,
    data_dir=None,
    download=True,
):
    """Loads a TensorFlow Datasets dataset with float images, as arrays or a batched dataset.

    A thin layer over `tfds.load`: integer images (uint8) become float32, scaled to [0, 1]
    (`"unit"`) or [-1, 1] (`"symmetric"`), and the result is either NumPy arrays (small datasets,
    the usual `fit(x, y)`) or a `tf.data.Dataset`, batched and prefetched.

    Args:
        name: the TFDS name, e.g. `"mnist"`, `"cifar10"`, `"fashion_mnist"`.
        split: a TFDS split ("train", "test", "train[:10%]", ...) or a list of them (then a list of
            results is returned, one per split).
        as_supervised: `(image, label)` pairs; otherwise the feature dicts (the `"image"` entry is
            scaled).
        as_numpy: return NumPy arrays: `(x, y)` if supervised, else a dict of arrays. Otherwise
            return the `tf.data.Dataset`.
        scale: `"unit"`, `"symmetric"`, or `"none"`/`None` (leave the images as they are).
        batch_size: with `as_numpy=False`, batch the dataset (and prefetch); `None` leaves it
            unbatched.
        shuffle_files, data_dir, download: passed to `tfds.load`.

    Returns:
        See `as_numpy` (a list of those for a list of splits).

    Example:

    >>> x, y = load_tfds("mnist", split="test")               # needs a network the first time
    >>> ds = load_tfds("cifar10", as_numpy=False, batch_size=128)
    """
    import tensorflow as tf
    import tensorflow_datasets as tfds

    if not isinstance(name, str) or not name:
        raise TypeError(f"`name` must be a non-empty string. Received: name={name!r}")
    _validation.check_bool("as_supervised", as_supervised)
    _validation.check_bool("as_numpy", as_numpy)
    _validation.check_choice("scale", scale, TFDS_SCALES)
    if batch_size is not None:
        _validation.check_int("batch_size", batch_size, minimum=1)
    splits = split if isinstance(split, (list, tuple)) else [split]
    for item in splits:
        if not isinstance(item, str) or not item:
            raise TypeError(
                f"`split` must be a split name or a list of them. Received: split={split!r}"
            )

    datasets = tfds.load(
        name,
        split=list(splits),
        as_supervised=as_supervised,
        shuffle_files=shuffle_files,
        data_dir=data_dir,
        download=download,
    )

    def scale_image(image):
        if scale in ("none", None) or image.dtype.is_floating:
            return image
        image = tf.cast(image, "float32") / float(image.dtype.max)
        return image * 2.0 - 1.0 if scale == "symmetric" else image

    def prepare(element):
        if as_supervised:
            image, label = element[0], element[1]
            return scale_image(image), label
        element = dict(element)
        if "image" in element:
            element["image"] = scale_image(element["image"])
        return element

    results = []
    for dataset in datasets:
        if as_supervised:
            dataset = dataset.map(lambda *pair: prepare(pair), num_parallel_calls=tf.data.AUTOTUNE)
        else:
            dataset = dataset.map(prepare, num_parallel_calls=tf.data.AUTOTUNE)
        if as_numpy:
            results.append(_to_numpy(dataset, tfds))
        else:
            if batch_size is not None:
                dataset = dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)
            results.append(dataset)
    return results if isinstance(split, (list, tuple)) else results[0]


def _to_numpy(dataset, tfds):
    """Stacks a whole (unbatched) dataset into arrays: a tuple or dict of them."""
    batches = list(tfds.as_numpy(dataset.batch(4096)))
    if not batches:
        raise ValueError("The requested split is empty.")
    if isinstance(batches[0], dict):
        return {key: np.concatenate([batch[key] for batch in batches]) for key in batches[0]}
    return tuple(np.concatenate([batch[i] for batch in batches]) for i in range(len(batches[0])))
