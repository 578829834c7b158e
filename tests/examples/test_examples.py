"""Every example runs in `--quick` mode and shows the outcome it is meant to show.

Each test calls the script's `main` in-process (as `python -m examples.NAME --quick` would) and
asserts on the returned outcome, and that every plot it reports was written and is not empty.
"""

import glob
import importlib
import os

import pytest

EXAMPLES = sorted(
    os.path.basename(path)[:-3]
    for path in glob.glob(os.path.join(os.path.dirname(__file__), "..", "..", "examples", "[a-z]*.py"))
)


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_has_the_common_command_line(name, capsys):
    module = importlib.import_module(f"examples.{name}")
    with pytest.raises(SystemExit) as exit_info:
        module.main(["--help"])
    assert exit_info.value.code == 0
    assert "--quick" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_info:
        module.main(["--no-such-option"])
    assert exit_info.value.code == 2


def test_every_example_has_a_quick_mode_test():
    tested = {name for name in EXAMPLES if f"from examples import {name}\n" in open(__file__).read()}
    assert tested == set(EXAMPLES)
    assert len(EXAMPLES) == 13


def _run(module, tmp_path, *extra):
    outcome = module.main(["--quick", "--out", str(tmp_path), *extra])
    assert outcome["figures"], "an example must write at least one plot"
    for path in outcome["figures"]:
        assert os.path.isfile(path) and os.path.getsize(path) > 0, path
        assert os.path.dirname(os.path.abspath(path)) == os.path.abspath(tmp_path)
    return outcome


@pytest.mark.slow
def test_vae_learns_a_latent_space_that_groups_digits(tmp_path):
    from examples import vae

    outcome = _run(vae, tmp_path)
    assert outcome["val_loss_after"] < 0.8 * outcome["val_loss_before"]
    assert outcome["latent_knn_accuracy"] > 0.4  # chance is 0.1; labels are never seen


@pytest.mark.slow
def test_dcgan_samples_look_like_digits_of_many_classes(tmp_path):
    from examples import dcgan

    outcome = _run(dcgan, tmp_path)
    low, high = outcome["sample_range"]
    assert -1.0 <= low and high <= 1.0
    assert outcome["classes_covered"] >= 5
    assert outcome["confidence_trained"] > outcome["confidence_untrained"]
    # The players stay in balance: D neither wins outright nor is fooled completely.
    d_real, d_fake = outcome["history"]["d_real"][-1], outcome["history"]["d_fake"][-1]
    assert 0.05 < d_fake < d_real < 0.99


def test_optimizers_at_the_saddle_point(tmp_path):
    from examples import optimizers

    outcome = _run(optimizers, tmp_path)
    escape = outcome["saddle_escape_step"]
    assert escape["SGD"] is None  # slides into the saddle and stays
    assert escape["Momentum"] is not None
    for adaptive in ("Adam", "RMSprop", "Adagrad"):
        assert escape[adaptive] is not None and escape[adaptive] < escape["Momentum"]
    # Exactly on the ridge no deterministic method can leave.
    assert outcome["ridge_escape_step"]["SGD"] is None
    assert outcome["ridge_escape_step"]["Adam"] is None
    assert outcome["ridge_escape_step"]["PerturbedSGD"] is not None  # noise gets it out
    # Beale's function by hand: 41.25 at the start (1, 1.5), 0 at the minimum (3, 0.5).
    assert optimizers.beale(*optimizers.BEALE_START) == pytest.approx(41.25)
    assert optimizers.beale(*optimizers.BEALE_MINIMUM) == pytest.approx(0.0)
    assert outcome["beale_loss"]["Adam"] < 0.1


@pytest.mark.slow
def test_xor_needs_a_hidden_layer(tmp_path):
    from examples import xor

    outcome = _run(xor, tmp_path)
    assert outcome["perceptron_accuracy"] <= 0.8  # no line separates XOR
    assert outcome["mlp_accuracy"] >= 0.95
    depth = outcome["depth_accuracy"]
    assert depth[2] > depth[0] + 0.2
    assert depth[4] >= depth[1]


def test_vanishing_gradients_flagship_diagnoses_and_cures(tmp_path):
    from examples import vanishing_gradients

    outcome = _run(vanishing_gradients, tmp_path)
    variants = outcome["variants"]
    assert "vanishing_gradient" in variants["sigmoid"]["findings"]
    for cured in ("relu_he", "batch_norm", "residual"):
        assert "vanishing_gradient" not in variants[cured]["findings"], cured
        assert variants[cured]["gradient_ratio"] > 100 * variants["sigmoid"]["gradient_ratio"]
    assert variants["sigmoid"]["val_accuracy"] < 0.2  # stuck at chance
    assert variants["residual"]["val_accuracy"] > variants["sigmoid"]["val_accuracy"] + 0.3
    for variant in variants.values():  # TrainingDiagnostics wrote a report for every run
        report_dir = os.path.dirname(variant["report"])
        assert os.path.getsize(variant["report"]) > 0
        assert os.path.isfile(os.path.join(report_dir, "run.json"))
    assert os.path.getsize(outcome["summary"]) > 0


@pytest.mark.slow
def test_gradient_descent_variants_trade_updates_for_noise(tmp_path):
    from examples import gradient_descent

    outcome = _run(gradient_descent, tmp_path)
    line, digits = outcome["line"], outcome["digits"]
    assert line["batch"]["updates"] < line["mini-batch (32)"]["updates"] < line["stochastic"]["updates"]
    assert line["stochastic"]["error"] < line["batch"]["error"]
    assert line["batch"]["uphill_fraction"] == 0.0  # exact gradients, small steps: always downhill
    assert line["stochastic"]["uphill_fraction"] > 0.1  # single examples often point the wrong way
    assert digits["stochastic"]["loss"] < digits["mini-batch (32)"]["loss"] < digits["batch"]["loss"]


@pytest.mark.slow
def test_activations_saturation_and_dead_relus(tmp_path):
    from examples import activations

    outcome = _run(activations, tmp_path)
    compared, dead = outcome["compared"], outcome["dead"]
    assert set(compared) == set(activations.ACTIVATIONS)
    assert compared["sigmoid"]["gradient_ratio"] < 0.1 * compared["relu"]["gradient_ratio"]
    assert compared["relu"]["val_accuracy"] > compared["sigmoid"]["val_accuracy"] + 0.3
    assert "dead_relu" in dead["ReLU, biases -2"]["findings"]
    assert dead["ReLU, biases 0"]["findings"] == []
    assert max(dead["ReLU, biases 0"]["dead_fraction"].values()) < 0.5
    assert dead["ReLU, biases 0"]["val_accuracy"] > dead["ReLU, biases -2"]["val_accuracy"] + 0.3
    assert dead["ELU, biases -2"]["val_accuracy"] > dead["ReLU, biases -2"]["val_accuracy"]


def test_exploding_gradients_are_caught_and_clipped(tmp_path):
    from examples import exploding_gradients

    runs = _run(exploding_gradients, tmp_path)["runs"]
    raw = runs["no clipping"]
    assert "exploding_gradient" in raw["findings"] or "non_finite" in raw["findings"]
    assert not raw["final_loss"] < float("inf")  # NaN or inf
    for cured in ("clipnorm 1.0", "adaptive clipping"):
        assert runs[cured]["findings"] == [], cured
        assert runs[cured]["final_loss"] < 100.0
        assert runs[cured]["val_accuracy"] > 0.3


@pytest.mark.slow
def test_class_imbalance_remedies_beat_no_remedy(tmp_path):
    from examples import class_imbalance

    outcome = _run(class_imbalance, tmp_path)
    counts, scores = outcome["train_counts"], outcome["scores"]
    assert max(counts) / min(counts) > 30
    baseline = scores["no remedy"]
    assert scores["SMOTE"]["balanced_accuracy"] > baseline["balanced_accuracy"]
    assert scores["logit adjustment"]["balanced_accuracy"] > baseline["balanced_accuracy"]
    assert scores["SMOTE"]["macro_f1"] > baseline["macro_f1"]
    assert scores["SMOTE"]["train_size"] == scores["over-sampling"]["train_size"] == 10 * max(counts)
    assert scores["under-sampling"]["train_size"] == 10 * min(counts)
    assert "class_imbalance" in baseline["findings"]
    assert "class_imbalance" not in scores["SMOTE"]["findings"]  # it trains on balanced labels


@pytest.mark.slow
def test_overfitting_remedies_close_the_gap(tmp_path):
    from examples import overfitting

    runs = _run(overfitting, tmp_path)["runs"]
    assert "overfitting" in runs["none"]["findings"]
    assert "underfitting" in runs["L2 1.0 (too much)"]["findings"]
    for remedy in ("L2 1e-2", "dropout 0.5", "early stopping", "augmentation"):
        assert runs[remedy]["final_gap"] < runs["none"]["final_gap"], remedy
        assert runs[remedy]["val_accuracy"] > runs["none"]["val_accuracy"], remedy
    assert runs["early stopping"]["epochs_run"] < runs["none"]["epochs_run"]


def test_saddle_points_plateaus_and_minima_told_apart(tmp_path):
    from examples import saddle_points

    runs = _run(saddle_points, tmp_path)["runs"]
    assert runs["saddle"]["findings"][0] == "saddle_point"
    assert runs["saddle"]["probes"][0]["min_eigenvalue"] < 0
    assert runs["plateau"]["findings"] == ["plateau"]
    assert runs["minimum"]["findings"] == []
    assert runs["minimum"]["probes"][0]["min_eigenvalue"] > 0
    # The perturbation along the negative-curvature direction reaches a minimum (-1.25).
    assert runs["saddle + escape"]["final_loss"] < -1.2 < runs["saddle"]["final_loss"]


@pytest.mark.slow
def test_rnn_long_range_gated_cells_remember(tmp_path):
    from examples import rnn_long_range

    models = _run(rnn_long_range, tmp_path)["models"]
    for gated in ("LSTM", "GRU"):
        assert models[gated]["val_mse"] < 0.2 * models["SimpleRNN"]["val_mse"], gated
        assert models[gated]["val_mse"] < 0.1 * rnn_long_range.BASELINE_MSE
        # Training opens the gates: the first steps get far more of the gradient than at init.
        assert models[gated]["first_step_gradient_trained"] > 10 * models[gated]["first_step_gradient"]


@pytest.mark.slow
def test_repair_finds_and_proves_the_fix_of_three_broken_runs(tmp_path):
    from examples import repair

    cases = _run(repair, tmp_path)["cases"]
    expected = {"deep_sigmoid": ("vanishing_gradient", {"set_activation", "add_normalization"}),
                "high_learning_rate": (None, {"set_learning_rate"}),
                "one_unit_softmax": ("output_loss_mismatch", {"set_output_activation", "set_output_units"})}
    for key, (lead, fixes) in expected.items():
        case = cases[key]
        assert lead is None or case["lead_finding"] == lead, key
        assert case["accepted_actions"] and case["accepted_actions"][0] in fixes, key
        assert case["steps"] <= case["budget_steps"], key
        assert os.path.isfile(case["report"]), key
        # Trained as a user would, the repaired model beats the broken one.
        assert case["after_accuracy"] > case["before_accuracy"] + 0.1, key

