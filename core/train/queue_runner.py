"""``tf.train.QueueRunner``: threads that run a queue's enqueue ops until the input ends (an
OutOfRangeError: the last one closes the queue) or the Coordinator asks them to stop (a thread
then runs the cancel op, which closes the queue and fails pending enqueues). Other exceptions
go to the Coordinator, as TF's do. ``start_queue_runners`` starts those in the QUEUE_RUNNERS
collection."""

from __future__ import annotations

import threading
import weakref

from .. import tf_logging as logging
from ..errors import OpError, OutOfRangeError
from ..graph import GraphKeys, add_to_collection, get_collection

__all__ = ["QueueRunner", "add_queue_runner", "start_queue_runners"]


class QueueRunner:
    def __init__(self, queue=None, enqueue_ops=None, close_op=None, cancel_op=None,
                 queue_closed_exception_types=None, queue_runner_def=None, import_scope=None):
        if queue_runner_def is not None:
            if queue or enqueue_ops:
                raise ValueError("queue_runner_def and queue are mutually exclusive.")
            queue, enqueue_ops, close_op, cancel_op, queue_closed_exception_types = \
                _from_def(queue_runner_def, import_scope)
        if not queue or not enqueue_ops:
            raise ValueError("Must provide queue and enqueue_ops.")
        self._queue = queue
        self._enqueue_ops = enqueue_ops
        self._close_op = close_op
        self._cancel_op = cancel_op
        if queue_closed_exception_types is not None and (
                not isinstance(queue_closed_exception_types, tuple)
                or not queue_closed_exception_types
                or not all(isinstance(t, type) and issubclass(t, OpError)
                           for t in queue_closed_exception_types)):
            raise TypeError("queue_closed_exception_types, when provided, must be a tuple of "
                            f"tf.error types, but saw: {queue_closed_exception_types}")
        if self._close_op is None:
            self._close_op = queue.close()
        if self._cancel_op is None:
            self._cancel_op = queue.close(cancel_pending_enqueues=True)
        self._queue_closed_exception_types = tuple(queue_closed_exception_types or
                                                   (OutOfRangeError,))
        self._lock = threading.Lock()
        self._runs_per_session: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._exceptions_raised: list = []

    queue = property(lambda self: self._queue)
    enqueue_ops = property(lambda self: self._enqueue_ops)
    close_op = property(lambda self: self._close_op)
    cancel_op = property(lambda self: self._cancel_op)
    queue_closed_exception_types = property(lambda self: self._queue_closed_exception_types)
    exceptions_raised = property(lambda self: self._exceptions_raised)
    name = property(lambda self: self._queue.name)

    def to_proto(self, export_scope=None):
        """The QueueRunnerDef a meta graph records (None if outside ``export_scope``)."""
        import importlib

        from ..errors import error_code_from_exception_type

        names = [self._queue.name] + [op.name for op in self._enqueue_ops] + \
            [self._close_op.name, self._cancel_op.name]
        if export_scope and not all(n.startswith(export_scope + "/") for n in names):
            return None
        strip = len(export_scope) + 1 if export_scope else 0
        names = [n[strip:] for n in names]
        pb = importlib.import_module("minitf.protos.queue_runner_pb2")  # core never imports it
        return pb.QueueRunnerDef(
            queue_name=names[0], enqueue_op_name=names[1:-2], close_op_name=names[-2],
            cancel_op_name=names[-1], queue_closed_exception_types=[
                error_code_from_exception_type(t) for t in self._queue_closed_exception_types])

    @staticmethod
    def from_proto(queue_runner_def, import_scope=None):
        return QueueRunner(queue_runner_def=queue_runner_def, import_scope=import_scope)

    def _enqueue_callables(self, sess) -> list:
        """(name, a function running one enqueue) per thread: one per enqueue op."""
        return [(op.name, sess.make_callable(op)) for op in self._enqueue_ops]

    def _run(self, sess, enqueue, coord=None):
        decremented = False
        try:
            while not (coord and coord.should_stop()):
                try:
                    enqueue()
                except self._queue_closed_exception_types:
                    # The input ended: the last thread of this runner closes the queue.
                    with self._lock:
                        self._runs_per_session[sess] -= 1
                        decremented = True
                        if self._runs_per_session[sess] == 0:
                            try:
                                sess.run(self._close_op)
                            except Exception as e:  # noqa: BLE001 - as TF: ignored
                                logging.vlog(1, "Ignored exception: %s", str(e))
                    return
        except Exception as e:  # noqa: BLE001 - reported to the coordinator or raised
            if coord:
                # TF's Coordinator ignores reports after a stop was requested (the cancel op's
                # CancelledError, a run on the closed session); minitf's keeps the first
                # report, so those are not made.
                if not coord.should_stop():
                    coord.request_stop(e)
            else:
                logging.error("Exception in QueueRunner: %s", str(e))
                with self._lock:
                    self._exceptions_raised.append(e)
                raise
        finally:
            if not decremented:
                with self._lock:
                    self._runs_per_session[sess] -= 1

    def _close_on_stop(self, sess, cancel_op, coord):
        coord.wait_for_stop()
        try:
            sess.run(cancel_op)
        except Exception as e:  # noqa: BLE001 - as TF: ignored
            logging.vlog(1, "Ignored exception: %s", str(e))

    def create_threads(self, sess, coord=None, daemon=False, start=False):
        """A thread per enqueue op (and one running the cancel op when ``coord`` stops); none
        if this runner already runs in ``sess``."""
        with self._lock:
            if self._runs_per_session.get(sess, 0) > 0:
                return []
            self._runs_per_session[sess] = len(self._enqueue_ops)
            self._exceptions_raised = []
        threads = [threading.Thread(target=self._run, args=(sess, enqueue, coord),
                                    name=f"QueueRunnerThread-{self.name}-{op_name}")
                   for op_name, enqueue in self._enqueue_callables(sess)]
        if coord:
            threads.append(threading.Thread(
                target=self._close_on_stop, args=(sess, self._cancel_op, coord),
                name=f"QueueRunnerThread-{self.name}-close_on_stop"))
        for t in threads:
            if coord:
                coord.register_thread(t)
            if daemon:
                t.daemon = True
            if start:
                t.start()
        return threads


def _from_def(d, import_scope):
    """(queue, enqueue ops, close op, cancel op, exception types) of a QueueRunnerDef, the
    names looked up in the default graph (under ``import_scope``), as TF's from_proto."""
    from ..errors import exception_type_from_error_code
    from ..graph import get_default_graph

    graph = get_default_graph()
    prefix = f"{import_scope}/" if import_scope else ""

    def element(name):
        return graph.as_graph_element(prefix + name)

    types = tuple(exception_type_from_error_code(c) for c in d.queue_closed_exception_types)
    return (element(d.queue_name), [element(n) for n in d.enqueue_op_name],
            element(d.close_op_name), element(d.cancel_op_name), types or None)


def add_queue_runner(qr, collection=GraphKeys.QUEUE_RUNNERS):
    """Adds ``qr`` to the graph's QUEUE_RUNNERS collection (or ``collection``)."""
    add_to_collection(collection, qr)


def start_queue_runners(sess=None, coord=None, daemon=True, start=True,
                        collection=GraphKeys.QUEUE_RUNNERS):
    """Starts the threads of every QueueRunner in ``collection``; returns them."""
    from ..session import Session, get_default_session

    if sess is None:
        sess = get_default_session()
        if not sess:
            raise ValueError("Cannot start queue runners: No default session is registered. "
                             "Use `with sess.as_default()` or pass an explicit session to "
                             "tf.start_queue_runners(sess=sess)")
    if not isinstance(sess, Session):
        if type(sess).__name__ in ("MonitoredSession", "SingularMonitoredSession"):
            return []  # they start their own, as TF's
        raise TypeError(f"sess must be a `tf.Session` object. Given class: {sess.__class__}")
    with sess.graph.as_default():
        runners = get_collection(collection)
        if not runners:
            logging.warning("`tf.train.start_queue_runners()` was called when no queue runners "
                            "were defined. You can safely remove the call to this deprecated "
                            "function.")
        threads = []
        for qr in runners:
            threads.extend(qr.create_threads(sess, coord=coord, daemon=daemon, start=start))
    return threads
