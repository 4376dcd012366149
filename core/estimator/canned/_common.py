"""Checks every canned estimator's model_fn makes first."""

from __future__ import annotations

from ...errors import UnimplementedError


def check_features(features):
    """``features`` must be a dict (TF's message)."""
    if not isinstance(features, dict):
        raise ValueError(f"features should be a dictionary of `Tensor`s. Given type: "
                         f"{type(features)}")


def check_features_and_partitioner(features, partitioner, argument: str):
    """``features`` must be a dict; ``partitioner`` (named ``argument``) must be None: the
    canned estimators that call this do not partition their variables."""
    check_features(features)
    if partitioner is not None:
        raise UnimplementedError(None, None, f"{argument}: minitf's canned estimators do not "
                                 "partition their variables")
