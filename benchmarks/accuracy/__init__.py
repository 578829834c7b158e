"""The diagnosis-accuracy benchmark: plain-Keras runs with known faults, and healthy ones.

Importing the package registers every scenario in `SCENARIOS` (name -> `Scenario`). The
`heldout_*` modules are the held-out families (`Scenario.heldout`): written from a description of
their fault without reading the detectors, scored apart, never used to tune a threshold.
"""

from benchmarks.accuracy import (  # noqa: F401  (each module registers its scenarios)
    activation_faults,
    data_faults,
    dynamics_faults,
    gradient_faults,
    healthy,
    heldout2_adam_batch_one,
    heldout2_deep_conv1d_tiny_init,
    heldout2_gru_sensor_counts,
    heldout2_heavy_l2,
    heldout2_price_targets,
    heldout2_rare_positive,
    heldout2_residual_negative_bias,
    heldout2_rnn_recurrent_gain,
    heldout2_shuffled_labels,
    heldout2_sigmoid_autoencoder,
    heldout2_softmax_from_logits,
    heldout2_tiny_learning_rate,
    heldout3_conv_sgd_lr5,
    heldout3_double_softmax,
    heldout3_heavy_dropout,
    heldout3_income_embedding,
    heldout3_long_tail_digits,
    heldout3_lr_schedule_decay,
    heldout3_relu_logits,
    heldout3_sorted_validation_split,
    heldout3_subclassed_sigmoid_stack,
    heldout3_text_conv_overfit,
    heldout3_tfdata_unpaired_shuffle,
    heldout3_zero_init_tanh,
    heldout4_clipvalue_1e5,
    heldout4_deep_relu_unit_normal,
    heldout4_frozen_whole_model,
    heldout4_gru_adam_lr_005,
    heldout4_linear_output_bce,
    heldout4_round_in_graph,
    heldout4_sgd_momentum_0999,
    heldout4_six_sigmoid_convs,
    heldout4_small_regression_overfit,
    heldout4_tanh_bias_8,
    heldout4_ten_classes_one_sigmoid,
    heldout4_uint8_images,
    heldout_adam_oscillation,
    heldout_bounded_regression,
    heldout_deep_linear,
    heldout_labels,
    heldout_log_softmax,
    heldout_mixed_precision,
    heldout_multi_label,
    heldout_text,
    heldout_transfer,
    heldout_two_output,
    setup_faults,
)
from benchmarks.accuracy.scenario import SCENARIOS, Run, Scenario, Trained, scenario

__all__ = ["SCENARIOS", "Run", "Scenario", "Trained", "scenario"]
