"""The pieces several accuracy scenarios share: label entropy and class chance, the healthy
twins' checks on both losses and on every head, standardized and two-input digits, noise
sequences, the clipped-score gradient of the output-range scenarios, gradient norms (global, per
input step, backward signals and their verifies) and the dense stack's hidden-only arguments.
References are NumPy, SciPy, scikit-learn and Keras' own layers, never these functions."""

import math

import keras
import numpy as np
import pytest
from scipy import stats
from sklearn.datasets import load_digits
from sklearn.preprocessing import StandardScaler

from benchmarks.accuracy import Run, Trained, data, measure, models
from benchmarks.accuracy.binary_output_range import score_gradients
from benchmarks.accuracy.noise_sequences import sequences


@pytest.mark.parametrize("labels", [[0, 1, 1, 0], [0, 0, 0, 1, 2, 2, 5], [3, 3, 3]])
def test_label_entropy_is_the_entropy_of_the_class_shares(labels):
    labels = np.array(labels)
    assert measure.label_entropy(labels) == pytest.approx(stats.entropy(np.bincount(labels)), abs=1e-12)


def test_chance_loss_of_one_class_is_a_binary_guess_and_of_several_their_entropy():
    x = np.zeros((4, 1), "float32")
    one_class = Run(None, None, "binary_crossentropy", x, np.ones(4, "float32"), epochs=1)
    two_classes = Run(None, None, "sparse_categorical_crossentropy", x, np.array([0, 0, 0, 1]), epochs=1)
    assert measure.chance_loss(one_class) == pytest.approx(math.log(2))
    assert measure.chance_loss(two_classes) == pytest.approx(-(0.75 * math.log(0.75) + 0.25 * math.log(0.25)))


@pytest.mark.parametrize("train_loss, val_loss, holds", [
    (0.3, 0.25, True),
    (0.3, 0.3, False),    # below half of the training labels' entropy, not of its own labels'
    (0.36, 0.1, False),
])
def test_trains_and_validates_well_needs_both_losses_below_half_of_their_own_chance(train_loss, val_loss, holds):
    y, y_val = np.array([0, 1] * 4), np.array([0, 0, 0, 1])  # entropies log(2) = 0.693 and 0.562
    run = Run(None, None, "sparse_categorical_crossentropy", None, y, epochs=1, validation_data=(None, y_val))
    trained = Trained(run, {"loss": [1.0, train_loss], "val_loss": [1.0, val_loss]}, [])
    ok, note = measure.trains_and_validates_well()(trained)
    assert ok is holds
    assert note == f"final loss / chance {train_loss / math.log(2):.2f}, val loss / chance {val_loss / 0.5623351446188083:.2f}"


def test_standardize_scales_both_parts_by_the_training_part_alone():
    rng = np.random.default_rng(0)
    x, x_val = rng.normal(5, 3, (200, 4)).astype("float32"), rng.normal(5, 3, (50, 4)).astype("float32")
    (train, y), (val, y_val) = data.standardize(((x, "y"), (x_val, "y_val")))
    scaler = StandardScaler().fit(x)
    np.testing.assert_allclose(train, scaler.transform(x), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(val, scaler.transform(x_val), rtol=1e-4, atol=1e-5)
    assert (y, y_val) == ("y", "y_val")


def test_standardized_digits_leave_constant_pixels_at_zero():
    (x, _), (x_val, _) = data.standardized_digits(0)
    pixels = load_digits().data / 16
    constant = pixels.std(axis=0) == 0
    assert constant.any() and not np.any(x[:, constant]) and not np.any(x_val[:, constant])
    np.testing.assert_allclose(x[:, ~constant].mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(x[:, ~constant].std(axis=0), 1, rtol=1e-4)


def test_digit_halves_are_the_top_and_bottom_four_rows_of_each_image():
    (halves, y), (halves_val, y_val) = data.digit_halves(3)
    (x, y_ref), (x_val, y_val_ref) = data.digits(3)
    images = x.reshape(-1, 8, 8)
    np.testing.assert_array_equal(halves[0], images[:, :4].reshape(-1, 32))
    np.testing.assert_array_equal(halves[1], images[:, 4:].reshape(-1, 32))
    np.testing.assert_array_equal(halves_val[1], x_val.reshape(-1, 8, 8)[:, 4:].reshape(-1, 32))
    np.testing.assert_array_equal(y, y_ref)
    np.testing.assert_array_equal(y_val, y_val_ref)


def test_noise_sequences_draw_labels_then_noise_and_keep_the_written_label():
    def first_step(x, labels):
        x[:, 0, 0] = 2.0 * labels - 1.0

    (x, y), (x_val, y_val) = sequences(7, 40, 5, 3, first_step)
    rng = np.random.default_rng(7)
    labels = rng.integers(0, 2, 40)
    noise = rng.normal(size=(40, 5, 3)).astype("float32")
    rows = {row.tobytes(): i for i, row in enumerate(noise[:, 1:])}  # every step but the written one
    assert len(x) + len(x_val) == 40 and len(x_val) == 10 and y.dtype == np.float32
    for part, part_y in ((x, y), (x_val, y_val)):
        for sequence, label in zip(part, part_y):
            i = rows[sequence[1:].tobytes()]
            assert label == labels[i] and sequence[0, 0] == 2.0 * labels[i] - 1.0
            np.testing.assert_array_equal(sequence[0, 1:], noise[i, 0, 1:])


def test_score_gradients_are_exactly_zero_outside_0_1_and_the_bce_derivative_inside():
    scores = np.array([-0.5, 0.2, 0.7, 1.5, 0.4], "float32")
    y = np.array([1, 0, 1, 0, 0], "float32")
    inputs = keras.Input((1,))
    model = keras.Model(inputs, keras.layers.Dense(1, kernel_initializer="ones", bias_initializer="zeros")(inputs))
    run = Run(model, None, "binary_crossentropy", scores[:, None], y, epochs=1)
    got_scores, gradient = score_gradients(run)
    np.testing.assert_allclose(got_scores, scores)
    inside = (scores > 0) & (scores < 1)
    p = scores[inside].astype("float64")
    np.testing.assert_allclose(gradient[inside], (p - y[inside]) / (p * (1 - p)), rtol=1e-4)
    assert np.all(gradient[~inside] == 0)


@pytest.mark.parametrize("build", [
    lambda init: models.dense_stack(8, [8, 8, 8], "relu", output_units=8, kernel_initializer=init),
    lambda init: models.conv_stack([4, 4, 4], "relu", kernel_initializer=init),
    lambda init: models.two_input([8, 8], "tanh", head_widths=[8], input_dim=8, output_units=8, kernel_initializer=init),
], ids=["dense_stack", "conv_stack", "two_input"])
def test_one_unseeded_initializer_gives_every_layer_its_own_draw_and_a_seeded_one_what_it_would(build):
    def kernels(init):
        keras.utils.set_random_seed(0)
        return [np.asarray(layer.kernel) for layer in build(init).layers if hasattr(layer, "kernel")]

    unseeded = kernels(keras.initializers.RandomNormal(stddev=1.0))
    pairs = [(a, b) for a, b in zip(unseeded, unseeded[1:]) if a.shape == b.shape]
    assert pairs and not any(np.array_equal(a, b) for a, b in pairs)
    for mine, again in zip(unseeded, kernels(keras.initializers.RandomNormal(stddev=1.0)), strict=True):
        np.testing.assert_array_equal(mine, again)  # reproducible under one seed
    seeded = kernels(keras.initializers.RandomNormal(stddev=1.0, seed=3))
    reference = keras.initializers.RandomNormal(stddev=1.0, seed=3)
    for kernel in seeded:
        np.testing.assert_array_equal(kernel, np.asarray(reference(kernel.shape)))


def test_backward_signal_of_a_softmax_head_is_softmax_minus_one_hot_over_the_rows():
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(3, activation="softmax")])
    x = np.random.default_rng(0).normal(size=(8, 5)).astype("float32")
    y = np.array([0, 1, 2, 0, 1, 2, 0, 1])
    kernel, bias = (np.asarray(w, dtype=np.float64) for w in model.get_weights())
    logits = x.astype(np.float64) @ kernel + bias
    probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    expected = np.linalg.norm((probabilities - np.eye(3)[y]) / len(y))
    [signal] = measure.backward_signals(model, x, y)
    assert signal == pytest.approx(expected, rel=1e-5)


def test_dense_stack_gives_hidden_kwargs_to_the_hidden_layers_alone_as_a_hand_built_stack_does():
    def built(make):
        keras.utils.clear_session()
        keras.utils.set_random_seed(0)
        model = make()
        return model.to_json(), model.get_weights()

    penalty = keras.regularizers.L1(0.5)
    ours = built(lambda: models.dense_stack(
        8, [6, 6], "tanh", output_units=3,
        hidden_kwargs={"kernel_initializer": "zeros", "kernel_regularizer": penalty}))
    by_hand = built(lambda: keras.Sequential(
        [keras.Input((8,)),
         *[keras.layers.Dense(6, activation="tanh", kernel_initializer="zeros",
                              kernel_regularizer=penalty) for _ in range(2)],
         keras.layers.Dense(3, activation="softmax")]))
    assert ours[0] == by_hand[0]
    for mine, reference in zip(ours[1], by_hand[1], strict=True):
        np.testing.assert_array_equal(mine, reference)
    assert not np.any(ours[1][0]) and np.any(ours[1][-2])  # zero hidden kernels, Glorot head


def test_global_gradient_norm_of_a_softmax_layer_is_the_norm_of_its_kernel_and_bias_gradients():
    keras.utils.set_random_seed(1)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    x = np.random.default_rng(1).normal(size=(6, 4)).astype("float32")
    y = np.array([2, 0, 1, 1, 0, 2])
    kernel, bias = (np.asarray(w, dtype=np.float64) for w in model.get_weights())
    logits = x.astype(np.float64) @ kernel + bias
    probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    error = (probabilities - np.eye(3)[y]) / len(y)  # d(mean cross-entropy) / d(logits)
    expected = math.sqrt(np.sum((x.T @ error) ** 2) + np.sum(error.sum(axis=0) ** 2))
    loss = measure.loss_function(Run(model, None, "sparse_categorical_crossentropy", x, y, epochs=1))
    assert measure.global_gradient_norm(model, loss, x, y) == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("head_scale, vanishes, explodes", [(1e-5, True, False), (1e5, False, True)])
def test_backward_signal_verifies_read_the_first_over_the_head_signal_at_the_initial_weights(
        head_scale, vanishes, explodes):
    keras.utils.set_random_seed(2)
    model = keras.Sequential([keras.Input((5,)), keras.layers.Dense(4, activation="linear"),
                              keras.layers.Dense(3, activation="softmax")])
    x = np.random.default_rng(2).normal(size=(8, 5)).astype("float32")
    y = np.array([0, 1, 2, 0, 1, 2, 0, 1])
    kernel, bias, head, head_bias = model.get_weights()
    initial = [kernel, bias, head * np.float32(head_scale), head_bias]
    model.set_weights([np.zeros_like(w) for w in initial])  # the verifies must not read these
    hidden = x.astype(np.float64) @ kernel + bias
    logits = hidden @ (head.astype(np.float64) * head_scale) + head_bias
    probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    error = (probabilities - np.eye(3)[y]) / len(y)  # the head's backward signal
    ratio = np.linalg.norm(error @ (head.astype(np.float64) * head_scale).T) / np.linalg.norm(error)
    trained = Trained(Run(model, None, "sparse_categorical_crossentropy", x, y, epochs=1),
                      {"loss": [1.0]}, initial)
    for verify, expected in ((measure.backward_signal_vanishes(), vanishes),
                             (measure.backward_signal_explodes(), explodes)):
        holds, note = verify(trained)
        assert holds is expected
        label, value = note.rsplit(" ", 1)
        assert label == "initial first/head backward signal"
        assert float(value) == pytest.approx(ratio, rel=0.06)  # the note keeps 2 digits
    trained.history["loss"] = [1.0, float("nan")]
    assert measure.backward_signal_explodes()(trained) == (True, "non-finite loss")


def test_input_gradient_per_step_of_a_summed_linear_readout_is_its_weights_per_step():
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((3, 2)), keras.layers.Flatten(), keras.layers.Dense(1)])
    x = np.random.default_rng(3).normal(size=(5, 3, 2)).astype("float32")
    weights = np.asarray(model.layers[-1].kernel, dtype=np.float64).reshape(3, 2)
    # d(sum of outputs)/dx is the kernel for every row: per step, sqrt(rows * sum of its squares).
    expected = np.sqrt(len(x) * np.sum(weights ** 2, axis=1))
    norms = measure.input_gradient_per_step(model, lambda y, y_pred: keras.ops.sum(y_pred), x, None)
    np.testing.assert_allclose(norms, expected, rtol=1e-6)


@pytest.mark.parametrize("labels, expected", [
    (np.array([[1.0], [1.0], [1.0]]), math.log(2)),  # one class: a binary guess
    (np.array([[0.0], [1.0], [1.0], [1.0]]), stats.entropy([1, 3])),
    (np.array([0, 2, 2, 5, 5, 5]), stats.entropy([1, 2, 3])),
])
def test_class_chance_is_the_entropy_of_the_class_shares_or_a_binary_guess(labels, expected):
    assert measure.class_chance(labels) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("as_dict", [True, False])
@pytest.mark.parametrize("parity_loss, holds", [(0.34, True), (0.35, False)])
def test_heads_learn_needs_every_head_below_share_of_its_own_chance(as_dict, parity_loss, holds):
    digit, parity = np.array([0, 1, 2, 3]), np.array([[0.0], [1.0], [0.0], [1.0]])
    y = {"digit": digit, "parity": parity} if as_dict else (digit, parity)
    history = {"digit_loss": [2.0, 0.6], "parity_loss": [0.7, parity_loss],
               "loss": [2.7, 0.6 + parity_loss], "val_loss": [2.7, 1.0]}
    run = Run(None, None, {}, None, y, epochs=2)
    ok, note = measure.heads_learn(("digit", "parity"))(Trained(run, history, []))
    assert ok is holds  # chances: log(4) = 1.386 and log(2) = 0.693
    assert note.startswith(f"digit loss / chance {0.6 / math.log(4):.2f}, "
                           f"parity loss / chance {parity_loss / math.log(2):.2f}; ")
