"""A training step that never applies an update: the optimizer's iteration count stands still.

`callbacks.StallMonitor` records, per epoch, the steps the epoch ran and by how much the
optimizer's `iterations` advanced (it counts applied updates; with `gradient_accumulation_steps=k`
one every k steps). A `train_step` of one's own that computes the gradients but never calls
`self.optimizer.apply(...)` leaves the weights where they started, whatever the loss says: no
curvature, learning rate or data finding is the cause then.

Example:

>>> [f.kind for f in detect_no_updates({"steps": [45, 45, 45], "updates": [0, 0, 0], "trainable_weights": 8})]
['suspicious_config']
"""

from diagnostics.findings import Finding


def detect_no_updates(record):
    """A `suspicious_config` error when the run's steps applied no update at all.

    Args:
        record: `{"steps": [steps per epoch], "updates": [applied updates per epoch],
            "trainable_weights": count, "accumulation": gradient_accumulation_steps or None}`
            (`StallMonitor.extras["updates"]`), or None.

    Returns:
        list with at most one `Finding`, at epoch 0.
    """
    if not record or not record.get("trainable_weights"):
        return []  # nothing to update: the weights-that-cannot-move finding's case
    steps, updates = record.get("steps") or [], record.get("updates") or []
    ran = sum(s for s in steps if s)
    if not updates or len(steps) != len(updates) or any(u is None for u in updates) or sum(updates) != 0:
        return []
    if ran == 0 or ran < (record.get("accumulation") or 1):
        return []  # no step ran, or fewer than one accumulation cycle
    return [Finding(
        "suspicious_config", "error", 0, None,
        f"No update was applied in {len(steps)} epoch(s) of {ran} training steps: the optimizer's iteration "
        "count never moved, so the weights are where they started. The training step computes the loss "
        "(and maybe the gradients) but never applies them: a train_step of its own without "
        "`self.optimizer.apply(gradients, self.trainable_variables)`?",
        {"applied_updates": 0, "steps_run": int(ran)},
        ["In a train_step of your own, apply the gradients: "
         "`self.optimizer.apply(gradients, self.trainable_variables)`."],
    )]
