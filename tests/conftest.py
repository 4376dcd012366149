import os

import pytest

# TF turns its oneDNN kernels on by default only on some CPUs (AVX-512 and newer), and they
# decide what TF computes and accepts (NCHW convolutions on CPU, quantized rewrites): the tests
# that compare with TF expect them on, so they are on whatever the machine. Set before any test
# imports TF; subprocesses inherit it (those that need TF's reference kernels set it to 0).
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")

import minitf as tf


@pytest.fixture(autouse=True)
def _fresh_default_graph():
    """Every test starts from an empty default graph."""
    tf.reset_default_graph()
    yield
