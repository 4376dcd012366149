"""``slim.queues`` (TF 1.x contrib.slim): ``QueueRunners(session)``, a context in which the
graph's queue runners run, stopped and joined on exit."""

import contextlib
import threading

import minitf as tf

__all__ = ["NestedQueueRunnerError", "QueueRunners"]

# One QueueRunners context at a time in the process, as TF's (nesting would start the same
# runners twice).
_queue_runner_lock = threading.Lock()


class NestedQueueRunnerError(Exception):
    pass


@contextlib.contextmanager
def QueueRunners(session):  # noqa: N802 - TF's name
    """Starts the QUEUE_RUNNERS collection's runners in ``session`` (daemon threads under one
    Coordinator); on exit requests a stop and joins them, closing the session if some do not
    stop. NestedQueueRunnerError inside another QueueRunners context."""
    if not _queue_runner_lock.acquire(blocking=False):
        raise NestedQueueRunnerError("QueueRunners cannot be nested")
    try:
        coord = tf.train.Coordinator()
        threads = []
        for qr in tf.get_collection(tf.GraphKeys.QUEUE_RUNNERS):
            threads.extend(qr.create_threads(session, coord=coord, daemon=True, start=True))
    except BaseException:
        _queue_runner_lock.release()
        raise
    try:
        yield
    finally:
        coord.request_stop()
        try:
            coord.join(threads, stop_grace_period_secs=120)
        except RuntimeError:
            session.close()
        finally:
            _queue_runner_lock.release()
