"""Shared plumbing for the examples: the digits dataset, batching, progress lines, plots."""

from __future__ import annotations

import os
import sys
import time

import numpy as np


def load_digits(seed: int = 0, test_fraction: float = 0.2):
    """scikit-learn's bundled 8x8 digits (1797 images, no download): (x_train, y_train, x_test,
    y_test) with pixels scaled to [0, 1] as float32 and labels as int64."""
    try:
        from sklearn.datasets import load_digits as sk_digits
    except ImportError:
        sys.exit("This example needs scikit-learn (pip install 'minitf[examples]').")
    data = sk_digits()
    x = (data.images / 16.0).astype(np.float32)
    y = data.target.astype(np.int64)
    order = np.random.default_rng(seed).permutation(len(x))
    n_test = int(len(x) * test_fraction)
    test, train = order[:n_test], order[n_test:]
    return x[train], y[train], x[test], y[test]


def batches(n: int, batch_size: int, rng: np.random.Generator):
    order = rng.permutation(n)
    for i in range(0, n, batch_size):
        yield order[i:i + batch_size]


class Progress:
    """One line per epoch with loss, accuracy and elapsed time; keeps the curve."""

    def __init__(self, name: str, epochs: int, stream=sys.stdout):
        self.name, self.epochs, self.stream = name, epochs, stream
        self.start = time.perf_counter()
        self.history: list[dict] = []

    def epoch(self, epoch: int, **metrics):
        self.history.append({"epoch": epoch, **metrics})
        parts = "  ".join(f"{k} {v:.4f}" for k, v in metrics.items())
        elapsed = time.perf_counter() - self.start
        print(f"[{self.name}] epoch {epoch:3d}/{self.epochs}  {parts}  ({elapsed:.1f}s)",
              file=self.stream, flush=True)


def save_curve(history: list[dict], path: str, title: str):
    """Writes the learning curve as a PNG (needs matplotlib: pip install 'minitf[examples]')."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(f"matplotlib is not installed; skipping {path}")
        return None
    keys = [k for k in history[0] if k != "epoch"]
    epochs = [h["epoch"] for h in history]
    fig, axes = plt.subplots(1, len(keys), figsize=(4 * len(keys), 3))
    for ax, key in zip(np.atleast_1d(axes), keys):
        ax.plot(epochs, [h[key] for h in history])
        ax.set_xlabel("epoch")
        ax.set_title(key)
    fig.suptitle(title)
    fig.tight_layout()
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    fig.savefig(path, dpi=80)
    plt.close(fig)
    return path
