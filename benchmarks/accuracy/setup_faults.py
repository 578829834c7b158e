"""Setup bugs (issue 11): an output that does not fit the loss, labels that do not fit the
output, unnormalized inputs, suspicious configuration. Each verify checks the bug is in the run."""

import keras
import numpy as np
from keras import layers, optimizers

from benchmarks.accuracy import data, measure, models
from benchmarks.accuracy.scenario import Run, scenario

SPARSE_CE = "sparse_categorical_crossentropy"
STALL_SIDE_EFFECTS = ("underfitting", "plateau", "vanishing_gradient")
BEHAVIOUR = ("exploding_gradient", "vanishing_gradient", "dead_relu", "saturation", "underfitting",
             "plateau", "oscillation", "non_finite")
RAW_PIXEL_SCALE = 16.0  # digits are stored as 0-16; times 16 gives raw 0-255 bytes
FAR_FROM_UNIT_SCALE = 100.0


def _output(run):
    return run.model.layers[-1]


def _input_scale(run):
    x = run.x if isinstance(run.x, (list, tuple)) else [run.x]
    return max(float(np.nanmax(np.abs(part))) for part in x)


@scenario("mlp", expected=("output_loss_mismatch",), acceptable=STALL_SIDE_EFFECTS,
          verify=measure.fact(
              lambda run: _output(run).units == 1 and _output(run).activation.__name__ == "softmax",
              "softmax on one unit"))
def mlp_softmax_on_one_unit(seed):
    (x, y), (x_val, y_val) = data.standardized("breast_cancer", seed)
    model = models.dense_stack(30, [16], "relu", output_units=1, output_activation="softmax")
    return Run(model, optimizers.Adam(1e-3), "binary_crossentropy", x, y[:, None].astype("float32"),
               epochs=5, validation_data=(x_val, y_val[:, None].astype("float32")))


@scenario("cnn", expected=("output_loss_mismatch", "unnormalized_input"), acceptable=BEHAVIOUR,
          verify=measure.fact(lambda run: _output(run).activation.__name__ == "sigmoid"
                              and _input_scale(run) > FAR_FROM_UNIT_SCALE,
                              "sigmoid output, categorical cross-entropy, raw 0-255 pixels"))
def cnn_sigmoid_output_categorical_ce_raw_pixels(seed):
    (x, y), (x_val, y_val) = data.digits(seed, scale=RAW_PIXEL_SCALE, image=True)
    model = models.conv_stack([16], "relu", output_activation="sigmoid")
    one_hot = keras.utils.to_categorical
    return Run(model, optimizers.Adam(1e-3), "categorical_crossentropy", x, one_hot(y, 10), epochs=5,
               validation_data=(x_val, one_hot(y_val, 10)))


@scenario("rnn", expected=("output_loss_mismatch",), acceptable=BEHAVIOUR,
          verify=measure.fact(lambda run: _output(run).activation.__name__ == "relu",
                              "ReLU output with cross-entropy"))
def lstm_relu_output_cross_entropy(seed):
    (x, y), val = data.digit_rows(seed)
    model = models.recurrent(layers.LSTM, 32, output_activation="relu")
    return Run(model, optimizers.Adam(1e-3), SPARSE_CE, x, y, epochs=5, validation_data=val)


@scenario("two_input", expected=("output_loss_mismatch",), acceptable=STALL_SIDE_EFFECTS,
          verify=measure.fact(lambda run: run.loss.get_config()["from_logits"]
                              and _output(run).activation.__name__ == "softmax",
                              "softmax probabilities into a from_logits=True loss"))
def two_input_softmax_into_from_logits_loss(seed):
    (x, y), (x_val, y_val) = data.digits(seed)
    model = models.two_input([32], "relu")
    loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    return Run(model, optimizers.Adam(1e-3), loss, data.halves(x), y, epochs=5,
               validation_data=(data.halves(x_val), y_val))


@scenario("mlp", expected=("label_mismatch",), acceptable=("class_imbalance",) + STALL_SIDE_EFFECTS,
          verify=measure.fact(lambda run: len(np.unique(np.asarray(run.y).astype("int64"))) == 1,
                              "labels / 255 truncate to one class"))
def mlp_labels_divided_by_255(seed):
    (x, y), (x_val, y_val) = data.digits(seed)
    model = models.dense_stack(64, [64], "relu")
    return Run(model, optimizers.Adam(1e-3), SPARSE_CE, x, y / 255.0, epochs=5,
               validation_data=(x_val, y_val / 255.0))


# Trained on one class and validated on ten, its validation loss climbs as it grows sure of the one.
@scenario("cnn", expected=("label_mismatch",),
          acceptable=("class_imbalance", "overfitting") + STALL_SIDE_EFFECTS,
          verify=measure.fact(lambda run: len(np.unique(run.y)) == 1, "every label one class"))
def cnn_every_label_one_class(seed):
    (x, y), (x_val, y_val) = data.digits(seed, image=True)
    model = models.conv_stack([16], "relu")
    # The bug: the label column was overwritten by a constant while loading.
    return Run(model, optimizers.Adam(1e-3), SPARSE_CE, x, np.zeros_like(y), epochs=5,
               validation_data=(x_val, y_val))


@scenario("rnn", expected=("label_mismatch",), acceptable=STALL_SIDE_EFFECTS + ("saturation",),
          verify=measure.all_of(measure.fails_to_learn(), measure.fact(
              lambda run: float(np.min(run.y)) > 1.0, "targets above the sigmoid's range")))
def gru_sigmoid_output_targets_3_to_103(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(800, 8, 4)).astype("float32")
    y = (3 + 100 * (np.tanh(x[:, :, 0].sum(1)) + 1) / 2).astype("float32")[:, None]
    model = models.recurrent(layers.GRU, 16, features=4, output_units=1, output_activation="sigmoid")
    return Run(model, optimizers.Adam(1e-2), "mse", x[:600], y[:600], epochs=8,
               validation_data=(x[600:], y[600:]))


@scenario("two_input", expected=("label_mismatch",), acceptable=STALL_SIDE_EFFECTS + ("saturation",),
          verify=measure.all_of(measure.fails_to_learn(), measure.fact(
              lambda run: float(np.max(run.y)) > 1.0, "targets beyond the tanh output's range")))
def two_input_tanh_output_targets_0_to_50(seed):
    (x, _), (x_val, _) = data.standardized("breast_cancer", seed)
    (raw, _), (raw_val, _) = data.raw("breast_cancer", seed)
    # Predict the mean radius (6 to 28) and texture (10 to 39) columns... through a tanh.
    targets, targets_val = raw[:, [0, 1]], raw_val[:, [0, 1]]
    model = models.two_input([16], "relu", output_units=2, output_activation="tanh", input_dim=14)
    return Run(model, optimizers.Adam(1e-2), "mse", [x[:, 2:16], x[:, 16:]], targets, epochs=8,
               validation_data=([x_val[:, 2:16], x_val[:, 16:]], targets_val))


@scenario("mlp", expected=("unnormalized_input",), acceptable=BEHAVIOUR + ("overfitting",),
          verify=measure.fact(lambda run: _input_scale(run) > FAR_FROM_UNIT_SCALE, "raw 0-255 pixels"))
def mlp_raw_pixels_0_to_255(seed):
    (x, y), val = data.digits(seed, scale=RAW_PIXEL_SCALE)
    model = models.dense_stack(64, [64, 64], "relu")
    return Run(model, optimizers.Adam(1e-3), SPARSE_CE, x, y, epochs=5, validation_data=val)


@scenario("mlp", expected=("unnormalized_input",), acceptable=BEHAVIOUR,
          verify=measure.fact(lambda run: _input_scale(run) > 1e9, "inputs up to 3e9"))
def mlp_inputs_up_to_3e9(seed):
    (x, y), (x_val, y_val) = data.raw("breast_cancer", seed)
    scale = np.float32(1e6)  # areas in square micrometres instead of millimetres
    model = models.dense_stack(30, [32, 32], "relu", output_units=1, output_activation="sigmoid")
    return Run(model, optimizers.Adam(1e-3), "binary_crossentropy", x * scale, y.astype("float32"),
               epochs=5, validation_data=(x_val * scale, y_val.astype("float32")))


@scenario("two_input", expected=("unnormalized_input",), acceptable=BEHAVIOUR + ("overfitting",),
          verify=measure.fact(lambda run: _input_scale(run) > FAR_FROM_UNIT_SCALE,
                              "raw tabular features, scales 1e-3 to 4e3"))
def two_input_raw_breast_cancer(seed):
    (x, y), (x_val, y_val) = data.raw("breast_cancer", seed)
    model = models.two_input([16], "relu", output_units=1, output_activation="sigmoid", input_dim=15)
    return Run(model, optimizers.Adam(1e-3), "binary_crossentropy", [x[:, :15], x[:, 15:]],
               y.astype("float32"), epochs=8,
               validation_data=([x_val[:, :15], x_val[:, 15:]], y_val.astype("float32")))


@scenario("rnn", expected=("unnormalized_input",), acceptable=BEHAVIOUR + ("overfitting",),
          verify=measure.fact(lambda run: _input_scale(run) > FAR_FROM_UNIT_SCALE, "raw wine features"))
def lstm_raw_wine_features(seed):
    (x, y), (x_val, y_val) = data.raw("wine", seed)
    model = models.recurrent(layers.LSTM, 16, timesteps=13, features=1, output_units=3)
    return Run(model, optimizers.Adam(1e-2), SPARSE_CE, x[..., None], y, epochs=10,
               validation_data=(x_val[..., None], y_val))


@scenario("mlp", expected=("suspicious_config",), acceptable=("underfitting",),
          verify=measure.fact(lambda run: any(getattr(layer, "rate", 0) > 0.5 for layer in run.model.layers),
                              "dropout 0.9"))
def mlp_dropout_0_9(seed):
    (x, y), val = data.digits(seed)
    model = keras.Sequential([keras.Input((64,)), layers.Dense(64, activation="relu"), layers.Dropout(0.9),
                              layers.Dense(64, activation="relu"), layers.Dropout(0.9),
                              layers.Dense(10, activation="softmax")])
    return Run(model, optimizers.Adam(1e-3), SPARSE_CE, x, y, epochs=5, validation_data=val)


@scenario("cnn", expected=("suspicious_config",), acceptable=("underfitting",),
          verify=measure.fact(lambda run: all(getattr(layer, "activation", None) in (None, keras.activations.linear)
                                              for layer in run.model.layers[:-1]),
                              "stacked convolutions with no nonlinearity"))
def cnn_convs_without_activation(seed):
    (x, y), val = data.digits(seed, image=True)
    model = models.conv_stack([16, 16, 16], None)
    return Run(model, optimizers.Adam(1e-3), SPARSE_CE, x, y, epochs=5, validation_data=val)


@scenario("rnn", expected=("suspicious_config",),
          verify=measure.fact(lambda run: run.validation_data[0] is run.x, "validation data is the training data"))
def lstm_validation_is_training_data(seed):
    (x, y), _ = data.digit_rows(seed)
    model = models.recurrent(layers.LSTM, 32)
    return Run(model, optimizers.Adam(3e-3), SPARSE_CE, x, y, epochs=5, validation_data=(x, y))


@scenario("two_input", expected=("suspicious_config",), acceptable=BEHAVIOUR,
          verify=measure.fact(lambda run: float(np.asarray(run.optimizer.learning_rate)) >= 1.0, "Adam at lr 10"))
def two_input_adam_lr_10(seed):
    (x, y), (x_val, y_val) = data.digits(seed)
    model = models.two_input([32], "relu")
    return Run(model, optimizers.Adam(10.0), SPARSE_CE, data.halves(x), y, epochs=5,
               validation_data=(data.halves(x_val), y_val))
