"""Helpers of the tests of blocking ops (queues, accumulators): runs bounded by a deadline and
background threads."""

from __future__ import annotations

import threading

import minitf as tf

# A run that should not block gives up after this (DeadlineExceededError), failing the test.
OPTS = tf.RunOptions(timeout_in_ms=10_000)


def run_bounded(sess, fetches, feed_dict=None):
    return sess.run(fetches, feed_dict, options=OPTS)


def start_thread(target, *args) -> threading.Thread:
    t = threading.Thread(target=target, args=args, daemon=True)
    t.start()
    return t
