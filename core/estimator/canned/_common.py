"""Checks every canned estimator's model_fn makes first."""

from __future__ import annotations

from ...errors import UnimplementedError


def check_features_and_partitioner(features, partitioner, argument: str):
    """``features`` must be a dict (TF's message); ``partitioner`` (named ``argument``) must be
    None: minitf's canned estimators do not partition their variables."""
    if not isinstance(features, dict):
        raise ValueError(f"features should be a dictionary of `Tensor`s. Given type: "
                         f"{type(features)}")
    if partitioner is not None:
        raise UnimplementedError(None, None, f"{argument}: minitf's canned estimators do not "
                                 "partition their variables")
