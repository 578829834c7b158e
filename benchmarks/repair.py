"""Repair benchmark: how often `diagnostics.repair` proves a fix for the accuracy benchmark's
faulty runs, at what work, against random search at the same budget, and never on healthy runs.

Every scenario of `benchmarks/accuracy/` (faulty and healthy) is built at each seed, compiled as
the accuracy harness compiles it (`jit_compile=False`), and given to `repair` with its own fit
arguments. Per run it records what the baseline found, what was accepted, the work (optimizer
steps and wall time of all trials as multiples of one baseline fit), and:

- "fix named": is the scenario author's fix (`EXPECTED_FIX`, written before any run) among the
  first two remedies of the first finding;
- "fix accepted": is the accepted change the author's fix;
- "not repairable by the library": a detected problem whose lead finding needs what only the
  user can do (every remedy `applicable=False`, or NaN/inf in the training data; `repair` then
  tries nothing and says so, `RepairResult.repairable` is False). These are counted and shown
  apart, and left out of the repair rate's denominator (the rate over every detected problem is
  printed beside it);
- random search: the same successive halving, budget, seeds, metric, acceptance rule and judge,
  on as many candidates as repair's first rung ran, drawn at random from `random_space()` (the
  library's applicable actions with standard parameters, the AutoTrainer-style list) instead of
  from the findings. Per scenario and seed, repair is:
  * better ("win") when it accepted a change and random search did not, or both accepted and
    repair's accepted metric is better (or equal, at less work);
  * "tie" when neither accepted, or both accepted at the same metric and work;
  * worse ("loss") otherwise (random search accepted and repair did not, or random's is better).
  "Better than random search" is the share of wins among the repairable detected problems: a
  tie where neither repairs is not better. Per scenario (the issue's "on 90% of scenarios"), a
  scenario is better when repair wins on more than half of its repairable seeds; both shares are
  printed.

Usage:

    python benchmarks/repair.py                       # every scenario, seeds 0-2
    python benchmarks/repair.py --quick               # five scenarios, one seed
    python benchmarks/repair.py --only mlp_softmax_on_one_unit --seeds 3 --first-seed 100
    python benchmarks/repair.py --json out/repair.json
    python benchmarks/repair.py --summarize out/repair.json   # the tables of saved (even partial) rows
"""

import argparse
import json
import math
import os
import statistics
import sys
import time
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# The change each scenario's author would make (the actions any of which counts), written down
# before the benchmark was first run. Faults that only the user can fix name a non-applicable action.
EXPECTED_FIX = {
    # dead ReLUs: a bias of -2 shuts them (initializer); too high a learning rate kills them
    "mlp_relu_bias_init_minus_2": ("set_initializer",),
    "cnn_relu_sgd_lr_3": ("set_learning_rate",),
    "two_input_relu_adam_lr_0_1": ("set_learning_rate",),
    # saturation from weights drawn with stddev 4
    "mlp_sigmoid_init_stddev_4": ("set_initializer",),
    "cnn_sigmoid_init_stddev_4": ("set_initializer",),
    "two_input_sigmoid_init_stddev_4": ("set_initializer",),
    # NaN in the data: only the user can clean it
    "mlp_regression_nan_targets": ("fix_data",),
    "cnn_nan_pixels": ("fix_data",),
    "lstm_nan_in_sequences": ("fix_data",),
    # long-tailed classes
    "mlp_long_tail_digits": ("rebalance_classes",),
    "cnn_long_tail_digits": ("rebalance_classes",),
    "gru_86_percent_negatives": ("rebalance_classes",),
    "two_input_long_tail_digits": ("rebalance_classes",),
    # overfitting tiny data sets
    "mlp_512_units_100_noisy_samples_no_dropout": ("add_dropout", "add_regularization", "early_stopping"),
    "cnn_100_samples_no_dropout": ("add_dropout", "add_regularization", "early_stopping"),
    "lstm_100_samples_no_dropout": ("add_dropout", "add_regularization", "early_stopping"),
    # underfitting: a learning rate 1e-4 for SGD; a linear model on XOR needs a nonlinearity
    "mlp_sgd_lr_1e_4": ("set_learning_rate", "set_optimizer"),
    "gru_sgd_lr_1e_4": ("set_learning_rate", "set_optimizer"),
    "two_input_linear_model_on_xor": ("set_activation",),
    # plateaus and saddles from weights drawn near zero
    "mlp_four_tanh_layers_init_stddev_1e_3": ("set_initializer",),
    "two_input_three_tanh_layers_init_stddev_1e_3": ("set_initializer",),
    "cnn_four_convs_init_stddev_1e_3": ("set_initializer",),
    "mlp_one_tanh_layer_init_stddev_1e_4": ("set_initializer",),
    "two_input_tanh_init_stddev_1e_4": ("set_initializer",),
    # oscillation: too high a learning rate
    "mlp_tanh_sgd_lr_3": ("set_learning_rate",),
    "cnn_tanh_sgd_lr_3": ("set_learning_rate",),
    "gru_sgd_lr_30": ("set_learning_rate",),
    # vanishing gradients in sigmoid stacks: ReLU (with He) or normalization
    "mlp_ten_sigmoid_layers": ("set_activation", "add_normalization"),
    "cnn_eight_sigmoid_convs": ("set_activation", "add_normalization"),
    "rnn_six_stacked_sigmoid_rnns": ("set_activation",),
    "two_input_deep_sigmoid": ("set_activation", "add_normalization"),
    # exploding gradients from weights drawn with stddev 1
    "mlp_relu_init_stddev_1": ("set_initializer",),
    "cnn_relu_init_stddev_1": ("set_initializer",),
    "rnn_relu_recurrent_init_stddev_1": ("set_initializer", "clip_gradients"),
    # an output that does not fit its loss
    "mlp_softmax_on_one_unit": ("set_output_activation",),
    "cnn_sigmoid_output_categorical_ce_raw_pixels": ("set_output_activation",),
    "lstm_relu_output_cross_entropy": ("set_output_activation",),
    "two_input_softmax_into_from_logits_loss": ("set_loss", "set_output_activation"),
    # labels that do not fit the output: broken labels only the user can fix; targets beyond a
    # bounded output's range are scaled, or the output made linear
    "mlp_labels_divided_by_255": ("fix_labels",),
    "cnn_every_label_one_class": ("fix_labels",),
    "gru_sigmoid_output_targets_3_to_103": ("scale_targets", "set_output_activation"),
    "two_input_tanh_output_targets_0_to_50": ("scale_targets", "set_output_activation"),
    # raw inputs
    "mlp_raw_pixels_0_to_255": ("standardize_inputs",),
    "mlp_inputs_up_to_3e9": ("standardize_inputs",),
    "two_input_raw_breast_cancer": ("standardize_inputs",),
    "lstm_raw_wine_features": ("standardize_inputs",),
    # suspicious configuration
    "mlp_dropout_0_9": ("set_dropout",),
    "cnn_convs_without_activation": ("set_activation",),
    "lstm_validation_is_training_data": ("fix_data",),
    "two_input_adam_lr_10": ("set_learning_rate",),
    # held-out split 4 (written with the families, before any run of this benchmark on them);
    # heldout4_mlp_whole_model_frozen (fix: trainable=True) and
    # heldout4_mlp_round_lambda_between_dense (fix: remove the Lambda) have no action here
    "heldout4_mlp_sgd_momentum_0999": ("set_optimizer",),
    "heldout4_mlp_12_relu_layers_init_stddev_1": ("set_initializer",),
    "heldout4_mlp_tanh_bias_init_8": ("set_initializer",),
    "heldout4_mlp_linear_output_binary_crossentropy": ("set_output_activation", "set_loss"),
    "heldout4_mlp_512x512_on_80_regression_rows": ("add_regularization", "early_stopping", "add_dropout"),
    "heldout4_mlp_sgd_clipvalue_1e_5": ("set_optimizer",),
    "heldout4_text_gru_adam_lr_0_05": ("set_learning_rate",),
    "heldout4_mlp_ten_classes_one_sigmoid_bce": ("set_loss", "set_output_activation"),
    "heldout4_cnn_six_sigmoid_convs": ("set_activation", "add_normalization"),
    "heldout4_cnn_uint8_pixels_without_rescaling": ("standardize_inputs",),
    # fifth split; heldout5_mlp_tf_data_sorted_by_label_no_shuffle (fix: shuffle the dataset)
    # has no action here
    "heldout5_mlp_relu_constant_init_0_05": ("set_initializer",),
    "heldout5_mlp_tanh_output_binary_crossentropy": ("set_output_activation",),
    "heldout5_mlp_relu_output_standardized_targets": ("set_output_activation",),
    "heldout5_mlp_missing_values_as_minus_999": ("fix_data",),
    "heldout5_mlp_nan_in_five_validation_rows": ("fix_data",),
    "heldout5_mlp_binary_labels_one_and_two": ("fix_labels",),
    "heldout5_rnn_simple_rnn_200_steps_first_step_label": ("change_architecture",),
    "heldout5_mlp_full_batch_sgd_lr_0_01": ("change_batch_size",),
    "heldout5_mlp_sgd_exponential_decay_rate_1_5": ("set_learning_rate",),
    "heldout5_cnn_pixels_divided_by_255_twice": ("standardize_inputs",),
    "heldout5_rnn_lstm_relu_activation_100_steps": ("set_activation",),
    # sixth split (written with the families, before any diagnosis of them); no action here for
    # heldout6_two_output_loss_weights_1_0 (fix: loss_weights [1, 1]) and
    # heldout6_mlp_custom_train_step_without_apply (fix: call optimizer.apply). The fixes written for
    # the noise (a smaller stddev) and the max-norm cap (remove it) had no action until set_dropout
    # took a GaussianNoise's stddev and set_constraint was added: they are those actions.
    "heldout6_mlp_gaussian_noise_stddev_1_on_unit_range": ("set_dropout",),
    "heldout6_mlp_max_norm_constraint_0_01": ("set_constraint",),
    "heldout6_text_gru_embedding_init_stddev_10": ("set_initializer",),
    "heldout6_text_transformer_adam_lr_1e_2": ("set_learning_rate",),
    "heldout6_mlp_adamw_weight_decay_10": ("set_optimizer",),
    "heldout6_cnn_conv1d_zeros_kernel_init": ("set_initializer",),
    "heldout6_mlp_three_exponential_hidden_layers": ("set_activation",),
    "heldout6_mlp_four_relu_layers_sgd_lr_1": ("set_learning_rate",),
    "heldout6_mlp_tf_data_take_1_repeat": ("fix_data",),
    "heldout6_mlp_class_weight_inverted_9_to_1": ("rebalance_classes",),
    # seventh split (written with the families, before any diagnosis of them); no action here for
    # heldout7_mlp_stop_gradient_lambda_after_second_dense (fix: remove the Lambda) and
    # heldout7_mlp_l1_kernel_regularizer_1_0 (fix: a smaller L1 factor, 1e-5)
    "heldout7_mlp_normalization_layer_not_adapted": ("standardize_inputs",),
    "heldout7_mlp_regression_two_percent_nan_targets": ("fix_data",),
    "heldout7_mlp_digits_as_regression_one_linear_unit_mse": ("set_loss", "set_output_activation"),
    "heldout7_mlp_three_softmax_hidden_layers": ("set_activation",),
    "heldout7_lstm_100_steps_sgd_lr_1_no_clipping": ("clip_gradients",),
    "heldout7_cnn_150_images_80_epochs_no_regularization": ("early_stopping",),
    "heldout7_mlp_one_sigmoid_unit_categorical_crossentropy": ("set_loss",),
    "heldout7_cnn_three_relu_convs_random_normal_stddev_1": ("set_initializer",),
    "heldout7_mlp_sigmoid_bce_labels_minus_one_plus_one": ("fix_labels",),
    "heldout7_mlp_autoencoder_bottleneck_one_unit": ("change_architecture",),
    # eighth split (written with the families, before any diagnosis of them); no action here for
    # heldout8_cnn_rotation_0_5_zoom_0_5_translation_0_4 (fix: remove the augmentation layers).
    # The all-zero sample weights are data fed to `fit`; the ReduceLROnPlateau factor is the
    # run's learning-rate schedule
    "heldout8_mlp_batchnorm_batch_size_1": ("change_batch_size",),
    "heldout8_mlp_24_relu_layers_glorot_uniform": ("set_initializer",),
    "heldout8_mlp_regression_mse_reduction_sum": ("set_loss",),
    "heldout8_mlp_softmax_axis_0": ("set_output_activation",),
    "heldout8_mlp_sample_weight_mask_all_zero": ("fix_data",),
    "heldout8_mlp_adam_epsilon_1": ("set_optimizer",),
    "heldout8_mlp_linear_output_categorical_crossentropy": ("set_loss", "set_output_activation"),
    "heldout8_mlp_20_residual_blocks_he_normal_no_normalization": ("set_initializer",),
    "heldout8_mlp_ratio_feature_division_by_zero": ("fix_data",),
    "heldout8_rnn_two_gru_128_on_150_sequences": ("add_dropout", "early_stopping"),
    "heldout8_mlp_reduce_lr_on_plateau_factor_0_01_patience_0": ("set_learning_rate",),
    # ninth split (written with the families, before any diagnosis of them). Moving the dropout
    # before the output Dense, the LSTM's and the first conv's widths and strides, are
    # architecture changes only the user makes; the vocabulary size, the pair builder and the row
    # id column are the data the model is fed
    "heldout9_cnn_first_conv_strides_8_on_8x8_digits": ("change_architecture",),
    "heldout9_cnn_dropout_0_5_after_softmax_output": ("change_architecture", "set_dropout"),
    "heldout9_mlp_label_smoothing_0_9": ("set_loss",),
    "heldout9_mlp_validation_features_not_standardized": ("standardize_inputs", "fix_data"),
    "heldout9_rnn_lstm_1_unit_ten_classes": ("change_architecture",),
    "heldout9_text_vectorization_max_tokens_3": ("fix_data",),
    "heldout9_two_input_siamese_same_image_on_both_inputs": ("fix_data",),
    "heldout9_linear_raw_polynomial_features_degree_5_sgd": ("standardize_inputs",),
    "heldout9_two_input_row_id_embedding_beside_features": ("fix_data", "change_architecture"),
    "heldout9_mlp_handwritten_log_error_loss_linear_output": ("set_output_activation",),
    "heldout9_rnn_lstm_on_raw_prices_in_thousands": ("standardize_inputs", "scale_targets"),
    "heldout9_text_spam_two_percent_no_class_weight": ("rebalance_classes",),
    # tenth split (written with the families, before any diagnosis of them). The Embedding in
    # front of the GRU and the LSTM's return_sequences are architecture changes only the user
    # makes; the target list's order and the oversampled class are the data the model is fed.
    # The activity penalty's fix (a factor of 1e-5) was written in words when no action set an
    # activity regularizer; add_regularization(activity=True) does now (2026-12-07).
    "heldout10_cnn_activity_regularizer_l1_1_on_convs": ("add_regularization",),
    "heldout10_text_conv1d_softmax_mse_on_topic_ids": ("set_loss",),
    "heldout10_linear_poisson_loss_on_linear_output": ("set_output_activation",),
    "heldout10_mlp_early_stopping_val_loss_mode_max": ("early_stopping",),
    "heldout10_rnn_gru_token_ids_as_float_features": ("change_architecture",),
    "heldout10_two_input_bottom_branch_zero_kernel_relu": ("set_initializer",),
    "heldout10_two_output_target_list_in_wrong_order": ("fix_data", "fix_labels"),
    "heldout10_rnn_lstm_one_output_per_sequence_for_per_step_targets": ("change_architecture",),
    "heldout10_mlp_oversampling_repeats_the_majority_class": ("rebalance_classes", "fix_data"),
    # heldout11 (eleventh split, written with the families, before any diagnosis of them). The
    # temperature Lambda, the bias and the pooling layer are architecture changes only the user
    # makes; the revenue weights and the vectorizer's length are the data the model is fed; the
    # custom step's missing `training=True` is code no action edits, and standardizing the raw
    # table is the cure that does not depend on it
    # Relabelled from heldout8's healthy twin (2026-12-08): the zero-initialized ReLU branch ends
    # never train; the zero-init residual fix keeps that layer linear.
    "mlp_20_residual_blocks_zero_init_relu_branch_ends_never_train": ("set_activation",),
    "heldout11_mlp_leaky_relu_negative_slope_1_on_circles": ("set_activation",),
    "heldout11_mlp_logits_divided_by_100_before_softmax": ("change_architecture",),
    "heldout11_mlp_custom_train_step_calls_model_without_training_true": ("standardize_inputs",),
    "heldout11_mlp_adam_beta_1_0_99_beta_2_0_5": ("set_optimizer",),
    "heldout11_mlp_sample_weights_revenue_in_dollars": ("fix_data",),
    "heldout11_linear_regression_no_bias_targets_around_60": ("change_architecture", "scale_targets"),
    "heldout11_cnn_global_average_pooling_after_one_conv": ("change_architecture",),
    "heldout11_mlp_sgd_cosine_warmup_steps_counted_in_samples": ("set_learning_rate",),
    "heldout11_text_vectorization_output_sequence_length_2": ("fix_data",),
    # heldout12 (twelfth split, written with the families, before any diagnosis of them). The
    # Rescaling layer's factor and the normalization layer's momentum are layer settings only the
    # user edits (inputs scaled to a sane range before them cure both as well); the two dropout
    # rates are what `set_dropout` lowers; the shifted validation labels and the per-sequence
    # standardization are data bugs; Huber's delta needs the targets on its scale too
    "heldout12_mlp_adadelta_default_learning_rate_1e_3": ("set_learning_rate", "set_optimizer"),
    "heldout12_cnn_rescaling_255_instead_of_1_over_255": ("change_architecture", "standardize_inputs"),
    "heldout12_rnn_gru_recurrent_dropout_0_9": ("set_dropout",),
    "heldout12_mlp_huber_delta_1e_4_targets_around_300": ("set_loss", "scale_targets"),
    "heldout12_mlp_validation_labels_shifted_by_one_class": ("fix_labels",),
    "heldout12_mlp_dropout_0_5_on_two_input_features": ("set_dropout",),
    "heldout12_mlp_batchnorm_momentum_0_999_first_layer_raw_table": ("standardize_inputs", "change_architecture"),
    "heldout12_rnn_gru_each_sequence_standardized": ("fix_data", "standardize_inputs"),
    # heldout13 (thirteenth split, written with the families, before any diagnosis of them). The
    # one-based class-weight keys want weights that reach the rare class; the raw validation
    # prices and the swapped validation inputs are data bugs only the user fixes; the missing
    # minus sign is the user's own loss (a Keras cross-entropy in its place cures it); the
    # per-step GRU outputs need one output per sequence; the raw timestamp column wants the
    # scaling the other columns got.
    "heldout13_mlp_class_weight_keys_one_based_on_19_to_1_table": ("rebalance_classes",),
    "heldout13_mlp_log_prices_for_training_raw_prices_for_validation": ("fix_data", "fix_labels"),
    "heldout13_two_input_digit_halves_validation_inputs_swapped": ("fix_data",),
    "heldout13_mlp_hand_written_cross_entropy_without_minus_sign": ("fix_loss_function", "set_loss"),
    "heldout13_rnn_gru_return_sequences_true_before_per_sequence_head": ("change_architecture",),
    "heldout13_mlp_raw_unix_timestamp_column_beside_standardized_features": ("standardize_inputs",),
}

QUICK_SCENARIOS = ("mlp_softmax_on_one_unit", "mlp_tanh_sgd_lr_3", "mlp_ten_sigmoid_layers",
                   "mlp_raw_pixels_0_to_255", "healthy_two_epochs")


def random_space():
    """The remedy space random search draws from: every applicable action the library has, with
    the standard parameters (what AutoTrainer's fixed list tries), none chosen by evidence."""
    from diagnostics.remedies import Remedy

    def remedy(action, **params):
        return Remedy(action, None, params, f"{action} {params}")

    return [
        remedy("set_activation", activation="relu", kernel_initializer="he_normal"),
        remedy("set_initializer", kernel_initializer="he_normal", bias_initializer="zeros"),
        remedy("set_initializer", kernel_initializer="glorot_uniform", bias_initializer="zeros"),
        remedy("add_normalization", kind="batch"),
        remedy("set_optimizer", optimizer="adam", learning_rate=1e-3),
        remedy("set_learning_rate", learning_rate=1e-1),
        remedy("set_learning_rate", learning_rate=1e-2),
        remedy("set_learning_rate", learning_rate=1e-3),
        remedy("clip_gradients", clipnorm=1.0),
        remedy("add_regularization", l2=1e-4),
        remedy("add_dropout", rate=0.3),
        remedy("early_stopping", monitor="val_loss", patience=3, restore_best_weights=True),
        remedy("rebalance_classes", method="class_weight"),
        remedy("standardize_inputs", method="standardize"),
        remedy("change_batch_size", batch_size=64),
        remedy("set_output_activation", activation="sigmoid"),
        remedy("set_output_activation", activation="softmax"),
        remedy("set_output_activation", activation="linear"),
        remedy("scale_targets", low=None, high=None),
    ]


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3, help="scenario seeds (data split, weights)")
    parser.add_argument("--first-seed", type=int, default=0, help="seeds run from here")
    parser.add_argument("--repair-seeds", type=int, default=2, help="`seeds` of every repair call")
    parser.add_argument("--budget", type=float, default=1.5, help="`budget` of every repair call")
    parser.add_argument("--only", default=None, help="comma-separated scenario names")
    parser.add_argument("--no-random", action="store_true", help="skip the random search")
    parser.add_argument("--quick", action="store_true", help=f"{len(QUICK_SCENARIOS)} scenarios, 1 seed")
    parser.add_argument("--json", default=None, help="save the rows to this path (after every run)")
    parser.add_argument("--summarize", default=None, help="print the tables of a saved --json file and exit")
    args = parser.parse_args(argv)
    if args.seeds < 1:
        parser.error(f"--seeds must be at least 1. Received: seeds={args.seeds}")
    if args.quick:
        args.seeds = 1
        args.only = args.only or ",".join(QUICK_SCENARIOS)
    return args


def run_one(scenario, seed, args):
    """`repair` (and random search) on one scenario at one seed; returns a JSON-safe row."""
    import keras

    from diagnostics.repairing import repair

    keras.utils.clear_session(free_memory=False)
    keras.utils.set_random_seed(seed)
    run = scenario.make(seed)
    run.model.compile(optimizer=run.optimizer, loss=run.loss, loss_weights=run.loss_weights,
                      metrics=list(run.metrics), jit_compile=False)
    row = {"scenario": scenario.name, "kind": scenario.expected[0] if scenario.expected else "healthy",
           "seed": seed, "expected_fix": list(EXPECTED_FIX.get(scenario.name, ())), "error": None,
           "repairable": True}
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = repair(run.model, run.x, run.y, validation_data=run.validation_data, epochs=run.epochs,
                            batch_size=run.batch_size, budget=args.budget, seeds=args.repair_seeds,
                            verbose=0, shuffle=True, class_weight=run.class_weight)
    except Exception as error:  # one broken run must not end the benchmark
        row["error"] = f"{type(error).__name__}: {error}".splitlines()[0][:300]
        return row
    row["seconds"] = round(time.perf_counter() - start, 1)
    findings = result.baseline.seed_findings[0] if result.baseline.seed_findings else []
    first = findings[0] if findings else None
    first_two = [remedy.action for remedy in (getattr(first, "remedies", None) or [])[:2]]
    accepted_actions = [remedy.action for remedy in result.accepted.remedies] if result.accepted else []
    row.update(
        found=sorted({finding.kind for finding in result.baseline.findings}),
        detected=bool(scenario.expected) and any(
            kind in {f.kind for f in result.baseline.findings} for kind in scenario.expected),
        first_finding=first.kind if first else None,
        first_two_remedies=first_two,
        fix_named=bool(set(first_two) & set(row["expected_fix"])),
        tried=len({trial.name for trial in result.trials}),
        repairable=result.repairable,
        metric=result.baseline.metric_name,
        note=result.note,
        accepted=result.accepted is not None,
        accepted_actions=accepted_actions,
        fix_accepted=bool(set(accepted_actions) & set(row["expected_fix"])),
        changes=result.changes,
        work=round(result.work, 3),
        wall_ratio=round(result.wall_ratio, 3),
        baseline_steps=result.baseline_steps,
        baseline_metric=[_finite_or_none(value) for value in result.baseline.metrics],
        repair_metric=_finite_or_none(result.accepted.metric) if result.accepted else None,
        trials=[f"{trial.name} at {trial.fraction:.0%}: {trial.reason}" for trial in result.trials],
    )
    if result.trials and not args.no_random:
        row.update(_random_search(run, result, args, seed))
    return row


def _random_search(run, result, args, seed):
    """Random candidates from `random_space()` through repair's own halving, budget and rule."""
    import numpy as np

    from callbacks.training_diagnostics import TrainingDiagnostics
    from diagnostics import repairing as repair_lib

    rng = np.random.default_rng(seed)
    space = random_space()
    wanted = len({trial.name for trial in result.trials if trial.fraction == min(t.fraction for t in result.trials)})
    candidates = []
    for index in rng.permutation(len(space)):
        if len(candidates) == wanted:
            break
        candidates += repair_lib._build_candidates([(space[index],)], run.model, run.x, run.y)
    seeds = tuple(range(repair_lib.FIRST_SEED, repair_lib.FIRST_SEED + args.repair_seeds))
    fit_args = {"x": run.x, "y": run.y, "validation_data": run.validation_data, "batch_size": run.batch_size,
                "shuffle": True, "class_weight": run.class_weight}
    runner = repair_lib._Runner(TrainingDiagnostics, fit_args, run.epochs, seeds)
    runner.baseline_steps = result.baseline_steps
    runner.metric_name = result.baseline.metric_name
    lead = repair_lib._consistent_findings(result.baseline.seed_findings)[0]
    rule = repair_lib._Acceptance(result.baseline, lead)
    schedule = repair_lib._schedule(len(candidates), len(seeds), result.budget_steps, result.baseline_steps,
                                    run.epochs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        trials, chosen = repair_lib._successive_halving(runner, rule, candidates, schedule, result.budget_steps)
    random_work = sum(trial.steps for trial in trials) / result.baseline_steps
    versus = versus_random(result.accepted, chosen[1] if chosen else None, result.work, random_work)
    return {"random_accepted": chosen is not None,
            "random_actions": [remedy.action for remedy in chosen[0].remedies] if chosen else [],
            "random_metric": _finite_or_none(chosen[1].metric) if chosen else None,
            "random_work": round(random_work, 3),
            "versus_random": versus}


def versus_random(accepted, random_accepted, work, random_work):
    """"win", "tie" or "loss" of repair against random search on one run (see the module's
    docstring): accepted beats not accepted; between two accepted trials, the better metric
    (`Trial.score`, lower is better), then the lesser work."""
    if accepted is None and random_accepted is None:
        return "tie"
    if random_accepted is None:
        return "win"
    if accepted is None:
        return "loss"
    ours, theirs = (accepted.score, work), (random_accepted.score, random_work)
    return "win" if ours < theirs else "tie" if ours == theirs else "loss"


def scenarios_better_than_random(rows):
    """{scenario: better} over the repairable runs: a scenario counts as better than random search
    when repair wins on more than half of its seeds (the issue's "on 90% of scenarios"; a tie
    is not a win)."""
    outcomes = {}
    for row in rows:
        outcomes.setdefault(row["scenario"], []).append(row.get("versus_random", "tie"))
    return {name: 2 * runs.count("win") > len(runs) for name, runs in outcomes.items()}


def _finite_or_none(value):
    return float(value) if value is not None and math.isfinite(value) else None


def summarize(rows):
    """Prints the tables and returns the headline figures."""
    ran = [row for row in rows if row["error"] is None]
    faulty = [row for row in ran if row["kind"] != "healthy"]
    healthy = [row for row in ran if row["kind"] == "healthy"]
    print(f"\n{len(rows)} runs, {len(rows) - len(ran)} failed to run")
    for row in rows:
        if row["error"]:
            print(f"  error: {row['scenario']} seed {row['seed']}: {row['error']}")
    print("\nkind                   runs  detected  user-only  repaired  rate   fix named  fix accepted")
    for kind in sorted({row["kind"] for row in faulty}):
        group = [row for row in faulty if row["kind"] == kind]
        detected = [row for row in group if row["detected"]]
        user_only = [row for row in detected if not row["repairable"]]
        repaired = [row for row in detected if row["accepted"]]
        print(f"{kind:<22} {len(group):>4}  {len(detected):>8}  {len(user_only):>9}  {len(repaired):>8}  "
              f"{_share(len(repaired), len(detected) - len(user_only)):>5}  "
              f"{sum(r['fix_named'] for r in group):>9}  {sum(r['fix_accepted'] for r in group):>12}")
    detected = [row for row in faulty if row["detected"]]
    user_only = [row for row in detected if not row["repairable"]]
    repairable = [row for row in detected if row["repairable"]]
    repaired = [row for row in detected if row["accepted"]]
    tried = [row for row in ran if row.get("tried")]
    print(f"\nnot repairable by the library ({len(user_only)}): "
          + ", ".join(f"{row['scenario']} seed {row['seed']}" for row in user_only))
    figures = {
        "runs": len(rows), "faulty_runs": len(faulty), "detected": len(detected),
        "not_repairable_by_library": len(user_only), "repairable_detected": len(repairable),
        "repaired": len(repaired),
        "repair_rate": _ratio(len(repaired), len(repairable)),
        "repair_rate_of_all_detected": _ratio(len(repaired), len(detected)),
        "tried_detected": sum(1 for row in repairable if row["tried"]),
        "fix_named": _ratio(sum(row["fix_named"] for row in faulty), len(faulty)),
        "fix_accepted_of_accepted": _ratio(sum(row["fix_accepted"] for row in repaired), len(repaired)),
        "work_mean": _stat(statistics.mean, [row["work"] for row in tried]),
        "work_median": _stat(statistics.median, [row["work"] for row in tried]),
        "wall_mean": _stat(statistics.mean, [row["wall_ratio"] for row in tried]),
        "wall_median": _stat(statistics.median, [row["wall_ratio"] for row in tried]),
        "healthy_runs": len(healthy), "healthy_accepted": sum(row.get("accepted", False) for row in healthy),
    }
    versus = [row.get("versus_random", "tie") for row in repairable]  # nothing tried: neither repaired
    if any("versus_random" in row for row in ran):
        figures.update({f"versus_random_{key}": versus.count(key) for key in ("win", "tie", "loss")})
        figures["better_than_random"] = _ratio(versus.count("win"), len(versus))
        by_scenario = scenarios_better_than_random(repairable)
        figures["scenarios_better_than_random"] = _ratio(sum(by_scenario.values()), len(by_scenario))
        figures["scenarios_not_better"] = sorted(name for name, better in by_scenario.items() if not better)
        figures["random_repaired"] = sum(row.get("random_accepted", False) for row in repairable)
    print()
    for key, value in figures.items():
        print(f"  {key}: {value}")
    return figures


def _share(part, whole):
    return f"{part / whole:.2f}" if whole else "-"


def _ratio(part, whole):
    return round(part / whole, 3) if whole else None


def _stat(function, values):
    return round(function(values), 3) if values else None


def main(argv=None):
    args = parse_args(argv)
    if args.summarize:
        with open(args.summarize) as handle:
            return summarize(json.load(handle)["rows"])
    from benchmarks.accuracy import SCENARIOS

    names = args.only.split(",") if args.only else sorted(SCENARIOS)
    unknown = [name for name in names if name not in SCENARIOS]
    if unknown:
        raise SystemExit(f"unknown scenario(s): {', '.join(unknown)}")
    missing = [name for name in names if SCENARIOS[name].expected and name not in EXPECTED_FIX]
    if missing:  # scenarios added after the expected fixes were written: no author's fix to count
        print(f"no EXPECTED_FIX (fix named / accepted count as no) for: {', '.join(missing)}")
    rows = []
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        for name in names:
            row = run_one(SCENARIOS[name], seed, args)
            rows.append(row)
            print(f"{name} seed {seed}: found {row.get('found')}, accepted {row.get('accepted_actions')} "
                  f"(work {row.get('work')}x, wall {row.get('wall_ratio')}x, {row.get('seconds')} s), "
                  f"random: {row.get('random_actions')} -> {row.get('versus_random')}"
                  + (f"  ERROR {row['error']}" if row["error"] else ""), flush=True)
            _save(args, rows, None)  # after every run: a long benchmark stopped early keeps its rows
    figures = summarize(rows)
    _save(args, rows, figures)
    return figures


def _save(args, rows, figures):
    if not args.json:
        return
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as handle:
        json.dump({"args": vars(args), "rows": rows, "figures": figures}, handle, indent=1)


if __name__ == "__main__":
    main()
