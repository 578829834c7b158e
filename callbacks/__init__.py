"""Keras callbacks that observe an existing `model.fit` and report findings."""
