"""`TimeBudget` and the ActivationMonitor probe that it spaces out."""

import keras
import numpy as np
import pytest

from callbacks import activation_monitor
from callbacks._time_budget import TimeBudget


def test_work_runs_once_its_cost_is_saved_up_and_cheap_work_always_runs():
    budget = TimeBudget(share=0.02, free_seconds=0.1)
    assert budget.due()  # cost unknown
    budget.spent(0.5, estimate=0.4)  # the first run traced: 0.4 s expected from now on
    decisions = []
    for epoch_seconds in [5.0, 5.0, 5.0, 5.0, 5.0]:  # 0.1 s saved per epoch
        budget.earn(epoch_seconds)
        decisions.append(budget.due())
        if decisions[-1]:
            budget.spent(0.4)
    assert decisions == [False, False, False, True, False]
    cheap = TimeBudget(share=0.0, free_seconds=0.1)
    cheap.spent(0.05)
    assert all(cheap.due() for _ in range(3))


def test_savings_do_not_pile_up_into_a_burst():
    budget = TimeBudget(share=0.02, free_seconds=0.1)
    budget.spent(1.0)
    budget.earn(1000.0)  # 20 s saved in one long epoch, capped at one run
    budget.spent(1.0)
    assert not budget.due()


def test_an_expensive_probe_is_skipped_at_the_epochs_it_cannot_pay_for(monkeypatch):
    # A budget that never saves anything: the probe runs at the end of epoch 0, which traces it
    # (its time is no estimate), and of epoch 1, which measures its cost; never after.
    monkeypatch.setattr(activation_monitor, "TimeBudget", lambda: TimeBudget(share=0.0, free_seconds=0.0))
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(8, activation="relu", name="hidden"),
                              keras.layers.Dense(2, activation="softmax")])
    model.compile("sgd", "sparse_categorical_crossentropy")
    x = np.random.default_rng(0).standard_normal((64, 4)).astype("float32")
    monitor = activation_monitor.ActivationMonitor(probe_data=x)
    model.fit(x, np.zeros(64, "int32"), epochs=4, verbose=0, callbacks=[monitor])
    history = monitor.history["dead_frac/hidden"]
    assert np.isfinite(history[:2]).all() and np.isnan(history[2:]).all()
    assert monitor.probed_epochs == [0, 1] and monitor.extras["probed_epochs"] == [0, 1]
