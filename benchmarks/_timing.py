"""Shared timing helpers: interleaved repeats and medians, so noisy machines compare fairly."""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Callable


def per_call_seconds(fn: Callable[[], object], min_time: float = 0.05) -> float:
    """Seconds per call of ``fn``, timing enough calls to last about ``min_time``."""
    fn()
    n = 1
    while True:
        start = time.perf_counter()
        for _ in range(n):
            fn()
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            return elapsed / n
        n = max(n * 2, int(n * min_time / max(elapsed, 1e-9)) + 1)


def compare(candidates: dict[str, Callable[[], object]], repeats: int = 7,
            min_time: float = 0.05, settle: frozenset = frozenset()) -> dict[str, float]:
    """Median seconds per call of each candidate, measured round-robin ``repeats`` times so that
    background noise hits every candidate alike. After a candidate named in ``settle`` the
    machine rests briefly: TensorFlow's thread pools keep spinning for a moment after each
    call, which would slow whatever is timed next."""
    samples: dict[str, list[float]] = {name: [] for name in candidates}
    for _ in range(repeats):
        for name, fn in candidates.items():
            samples[name].append(per_call_seconds(fn, min_time))
            if name in settle:
                time.sleep(SETTLE_SECONDS)
    return {name: statistics.median(s) for name, s in samples.items()}


SETTLE_SECONDS = 0.05


def compare_with_tf(ours: dict, tf_candidates: dict, repeats: int = 7,
                    min_time: float = 0.05) -> dict:
    """``compare`` over minitf's and TensorFlow's candidates together, interleaved like the
    rest (a slow patch of a noisy machine hits both), with a rest after each TF run."""
    return compare({**ours, **tf_candidates}, repeats, min_time, frozenset(tf_candidates))


def machine() -> str:
    return (f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
            f"{platform.system()} {platform.release()}")


def fmt_us(seconds: float) -> str:
    return f"{seconds * 1e6:9.2f} us"


def load_tf1():
    """``tensorflow.compat.v1`` in graph mode with ref variables, or None if not installed."""
    try:
        import tensorflow.compat.v1 as tf1
    except ImportError:
        return None
    tf1.disable_eager_execution()
    tf1.disable_resource_variables()
    return tf1
