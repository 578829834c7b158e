"""Held out (twelfth split): three healthy runs that look unusual, by design.

None has a fault (`expected` is empty) and each trains as well as its task allows; each shows
a setting that a naive reading takes for a problem:

- a digits MLP whose softmax head starts with every kernel weight at zero
  (`kernel_initializer="zeros"` on the last `Dense` only): zero weights are a fault where they
  make units alike, but the hidden layer below is random, so the head's gradient (each class's
  error times the varied hidden outputs) differs from class to class and from weight to weight,
  and the head leaves zero at the first step; at least 0.9 validation accuracy and no
  overfitting;
- a digits model whose hidden `Dense(512, "relu")` layer is frozen at its random initial
  weights (`trainable=False`) under a trainable softmax head: a wide random ReLU projection is
  a feature map a linear head can separate the digits in, so only the head learns and that
  suffices; at least 0.9 validation accuracy and no overfitting;
- a digits MLP under `SGD(1e-3, momentum=0.99, nesterov=True)`: a momentum close to 1, which
  carries each step for about a hundred steps, balanced by a learning rate ten times below the
  usual, so the effective step (lr / (1 - momentum) = 0.1) is an ordinary one; at least 0.9
  validation accuracy and no overfitting.
"""

import keras
from keras import layers, optimizers

from benchmarks.accuracy import heldout11_parts, heldout12_parts, models
from benchmarks.accuracy.scenario import scenario


@scenario("mlp", heldout=True, verify=heldout11_parts.accurate_and_generalizes())
def heldout12_healthy_mlp_zero_initialized_softmax_head(seed):
    model = keras.Sequential([keras.Input((64,)), layers.Dense(64, activation="relu"),
                              layers.Dense(10, activation="softmax", kernel_initializer="zeros")])
    return models.digits_run(model, optimizers.Adam(1e-3), seed, 15, metrics=("accuracy",))


@scenario("mlp", heldout=True, verify=heldout11_parts.accurate_and_generalizes())
def heldout12_healthy_mlp_frozen_random_relu_features_512(seed):
    model = keras.Sequential([keras.Input((64,)), layers.Dense(512, activation="relu", trainable=False),
                              layers.Dense(10, activation="softmax")])
    return models.digits_run(model, optimizers.Adam(1e-3), seed, 15, metrics=("accuracy",))


@scenario("mlp", heldout=True, verify=heldout11_parts.accurate_and_generalizes())
def heldout12_healthy_mlp_sgd_nesterov_momentum_0_99_lr_1e_3(seed):
    return models.digits_run(heldout12_parts.digits_mlp(), optimizers.SGD(1e-3, momentum=0.99, nesterov=True),
                             seed, 15, metrics=("accuracy",))
