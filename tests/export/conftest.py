"""Fixtures shared by the export tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def tf1_v1_control_flow(monkeypatch):
    """tf.compat.v1 building TF1's control flow (Enter/Exit loops) in this test only."""
    tf1 = pytest.importorskip("tensorflow.compat.v1")
    from tensorflow.python.ops import control_flow_util

    monkeypatch.setattr(control_flow_util, "ENABLE_CONTROL_FLOW_V2", False)
    return tf1
