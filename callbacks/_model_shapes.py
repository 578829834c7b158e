"""The feature shapes a model declares, given to batch inputs whose shapes `tf.data` leaves open.

`keras.utils.timeseries_dataset_from_array` yields windows of spec `(None, None, features)`: the
window length is fixed by its arguments, but not in the spec. A model built on
`keras.Input((16, features))` declares it. The probe needs a static feature shape to keep rows in
fixed-shape buffers, so it takes the model's, without ever failing a step: Keras lets a model run
on a batch of another length (a recurrent layer takes any), so a batch is padded or cut to the
declared shape (a valid op under XLA whatever the length) and a flag says whether it had that
shape; the probe keeps nothing from a batch that did not.

Example:

>>> x, conforms = with_model_shapes(batch_x, model)   # doctest: +SKIP
>>> x.shape, conforms                                  # doctest: +SKIP
(TensorShape([None, 16, 1]), <tf.Tensor: ... dtype=bool>)
"""

import tensorflow as tf

import keras


def with_model_shapes(x, model):
    """`x` with every input whose feature shape the batch leaves open given the model's.

    Args:
        x: the model inputs of a batch (a tensor, or a list, tuple or dict of them).
        model: the `keras.Model` they feed.

    Returns:
        `(x, conforms)`. `conforms` is None, and `x` returned as given, when no input needed a
        shape (or the model declares none for it, or its structure does not match `x`); else a
        scalar boolean tensor, True when every such input had the declared shape.
    """
    declared = _declared_shapes(model, x)
    if declared is None:
        return x, None
    leaves, checks = [], []
    for leaf, shape in zip(keras.tree.flatten(x), declared):
        if shape is None:
            leaves.append(leaf)
            continue
        leaf, conforms = _conformed(leaf, shape)
        leaves.append(leaf)
        checks.append(conforms)
    if not checks:
        return x, None
    return keras.tree.pack_sequence_as(x, leaves), tf.reduce_all(tf.stack(checks))


def declared_and_seen(x, model):
    """The feature shapes `model` declares for the inputs of `x` that `with_model_shapes` gives a
    shape, and the sizes the batch has there.

    Args:
        x: the model inputs of a batch, as given to `with_model_shapes`.
        model: the `keras.Model` they feed.

    Returns:
        `(declared, seen)`: `declared` a list of shape tuples, one per such input; `seen` an int32
        vector tensor of the batch's sizes of those dimensions, one input after another (its
        length is static). `([], None)` when no input needs a shape.
    """
    declared = _declared_shapes(model, x)
    if declared is None:
        return [], None
    pairs = [(tuple(shape), tf.shape(leaf)[1:]) for leaf, shape in zip(keras.tree.flatten(x), declared)
             if shape is not None]
    if not pairs:
        return [], None
    return [shape for shape, _ in pairs], tf.concat([seen for _, seen in pairs], axis=0)


def _declared_shapes(model, x):
    """Per leaf of `x`: the model's fully known feature shape for it where the batch leaves the
    shape open and the two agree in rank and known sizes, else None; None overall when the model
    has no symbolic inputs matching the structure of `x`."""
    try:
        inputs = model.input  # the structure the model was built on (Functional, Sequential)
        keras.tree.assert_same_structure(inputs, x, check_types=False)
    except (AttributeError, ValueError, TypeError):  # subclassed, unbuilt, or another structure
        return None
    shapes = []
    for symbolic, leaf in zip(keras.tree.flatten(inputs), keras.tree.flatten(x)):
        feature_shape = tuple(symbolic.shape[1:]) if hasattr(symbolic, "shape") else None
        if (not tf.is_tensor(leaf) or isinstance(leaf, (tf.RaggedTensor, tf.SparseTensor)) or feature_shape is None
                or leaf.shape.rank != len(feature_shape) + 1 or leaf.shape[1:].is_fully_defined()
                or any(size is None for size in feature_shape)
                or not leaf.shape[1:].is_compatible_with(feature_shape)):
            shapes.append(None)
        else:
            shapes.append([int(size) for size in feature_shape])
    return shapes


def _conformed(leaf, feature_shape):
    """`leaf` padded with zeros or cut to `feature_shape` (static from here on), and whether it
    had that shape."""
    actual = tf.shape(leaf)[1:]
    declared = tf.constant(feature_shape, dtype=actual.dtype)
    conforms = tf.reduce_all(tf.equal(actual, declared))
    padding = tf.stack([tf.zeros_like(actual), tf.maximum(declared - actual, 0)], axis=1)
    padded = tf.pad(leaf, tf.concat([tf.zeros([1, 2], actual.dtype), padding], axis=0))
    return tf.slice(padded, [0] * (len(feature_shape) + 1), [-1, *feature_shape]), conforms
