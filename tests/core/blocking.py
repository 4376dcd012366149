"""Helpers of the tests of blocking ops (queues, accumulators): runs bounded by a deadline and
background threads."""

from __future__ import annotations

import threading
import time

import minitf as tf

# A run that should not block gives up after this (DeadlineExceededError), failing the test.
OPTS = tf.RunOptions(timeout_in_ms=10_000)


def run_bounded(sess, fetches, feed_dict=None):
    return sess.run(fetches, feed_dict, options=OPTS)


def start_thread(target, *args) -> threading.Thread:
    t = threading.Thread(target=target, args=args, daemon=True)
    t.start()
    return t


def wait_until_waiting(sess, ref, line: str):
    """Polls (10 s at most) until a run in another thread waits in the line (attribute
    ``line``) of the queue or accumulator ``ref`` names in ``sess``: no guessing how long
    the thread takes to get there (a sleep fails on a loaded machine)."""
    state = sess._resources.state(ref.op)
    deadline = time.monotonic() + 10
    while not getattr(state.get("resource"), line, None):
        assert time.monotonic() < deadline, "the other thread's run never started waiting"
        time.sleep(0.001)
