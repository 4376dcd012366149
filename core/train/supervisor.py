"""``tf.train.Supervisor`` (TF 1.x): a Coordinator, a Saver and a SessionManager that restore or
initialise a session and, in the background, checkpoint the model, write summaries and count
steps per second into ``logdir``::

    sv = tf.train.Supervisor(logdir=d, save_model_secs=60)
    with sv.managed_session() as sess:
        while not sv.should_stop():
            sess.run(train_op)

As in TF, the checkpoint, summary and step-counter services each run once as soon as they
start (so a ``model.ckpt-<step>`` exists from the first moment) and then every
``save_model_secs`` / ``save_summaries_secs``; nothing is saved when the session ends. The
event file gets the graph, the meta graph, SessionLog START, the summaries,
``global_step/sec``, SessionLog CHECKPOINT after each save, and SessionLog STOP when the
writer is closed.

One process only: ``master`` must be empty. A non-chief (``is_chief=False``) writes nothing
and waits for the chief through ``SessionManager.wait_for_session``; since minitf sessions do
not share variables, that succeeds only for a model that needs no initialisation (or whose
``ready_op`` is None) and otherwise raises DeadlineExceededError at once. TF's check that a
non-chief's variables have devices is skipped: minitf ignores devices.
"""

from __future__ import annotations

import contextlib
import os

from .. import tf_logging as logging
from ..graph import GraphKeys, get_default_graph
from .coordinator import Coordinator
from .session_manager import SessionManager
from .supervisor_services import (_START, _STOP, LooperThread, SVStepCounterThread,
                                  SVSummaryThread, SVTimerCheckpointThread, _session_log, _step)

_READY_FOR_LOCAL_INIT_OP = "ready_for_local_init_op"  # TF's GraphKeys name


class Supervisor:
    """Checkpoints the model and computes summaries for a training loop (see the module
    docstring). Arguments left at ``USE_DEFAULT`` are taken from the graph's collections or
    made as TF does: ``ready_op`` = report_uninitialized_variables(), ``init_op`` =
    global_variables_initializer(), ``local_init_op`` = local variables + tables
    initializers, ``saver`` = Saver(write_version=V2) (when there are variables), ``summary_op`` =
    merge_all(), ``global_step`` = the graph's ``global_step`` tensor if it is an integer;
    None turns each off. The graph is finalized."""

    USE_DEFAULT = 0  # TF's value: passing 0 also means "the default"

    def __init__(self, graph=None, ready_op=USE_DEFAULT, ready_for_local_init_op=USE_DEFAULT,
                 is_chief=True, init_op=USE_DEFAULT, init_feed_dict=None,
                 local_init_op=USE_DEFAULT, logdir=None, summary_op=USE_DEFAULT,
                 saver=USE_DEFAULT, global_step=USE_DEFAULT, save_summaries_secs=120,
                 save_model_secs=600, recovery_wait_secs=30, stop_grace_secs=120,
                 checkpoint_basename="model.ckpt", session_manager=None,
                 summary_writer=USE_DEFAULT, init_fn=None, local_init_run_options=None):
        graph = graph if graph is not None else get_default_graph()
        self._graph = graph
        with graph.as_default():
            self._ready_op = self._default(ready_op, GraphKeys.READY_OP, _report_uninitialized)
            self._ready_for_local_init_op = self._default(
                ready_for_local_init_op, _READY_FOR_LOCAL_INIT_OP, lambda: None)
            self._init_op = self._default(init_op, GraphKeys.INIT_OP, _global_init)
            self._init_feed_dict = init_feed_dict
            self._local_init_op = self._default(local_init_op, GraphKeys.LOCAL_INIT_OP,
                                                _local_init)
            self._saver = self._default(saver, GraphKeys.SAVERS, _new_saver)
            self._summary_op = self._default(summary_op, GraphKeys.SUMMARY_OP, _merge_all)
            self._global_step = self._default(global_step, GraphKeys.GLOBAL_STEP,
                                              _graph_global_step)
        self._is_chief = is_chief
        self._coord = Coordinator()
        self._recovery_wait_secs = recovery_wait_secs
        self._stop_grace_secs = stop_grace_secs
        self._init_fn = init_fn
        self._local_init_run_options = local_init_run_options
        # Only a chief writes checkpoints and events.
        self._logdir = self._save_summaries_secs = self._save_model_secs = None
        self._save_path = self._summary_writer = None
        self._graph_added_to_summary = False
        if is_chief:
            self._logdir = os.fspath(logdir) if logdir else None
            self._save_summaries_secs = save_summaries_secs
            self._save_model_secs = save_model_secs
            if self._logdir:
                self._save_path = os.path.join(self._logdir, checkpoint_basename)
            if summary_writer is Supervisor.USE_DEFAULT:
                if self._logdir:
                    from ..summary import FileWriter

                    self._summary_writer = FileWriter(self._logdir)
            else:
                self._summary_writer = summary_writer
        self._session_manager = session_manager if session_manager is not None else \
            SessionManager(local_init_op=self._local_init_op, ready_op=self._ready_op,
                           ready_for_local_init_op=self._ready_for_local_init_op, graph=graph,
                           recovery_wait_secs=recovery_wait_secs,
                           local_init_run_options=local_init_run_options)
        graph.finalize()

    @staticmethod
    def _default(value, key, make):
        """``value``, or for USE_DEFAULT the collection's first item, or ``make()`` added to
        the collection (unless it is None)."""
        if value is not Supervisor.USE_DEFAULT:
            return value
        found = get_default_graph().get_collection(key)
        if len(found) > 1:
            logging.info("Found %d %s operations. Returning the first one.", len(found), key)
        if found:
            return found[0]
        made = make()
        if made is not None:
            get_default_graph().add_to_collection(key, made)
        return made

    # -- properties ------------------------------------------------------------------------------
    is_chief = property(lambda self: self._is_chief)
    session_manager = property(lambda self: self._session_manager)
    coord = property(lambda self: self._coord)
    init_op = property(lambda self: self._init_op)
    init_feed_dict = property(lambda self: self._init_feed_dict)
    ready_op = property(lambda self: self._ready_op)
    ready_for_local_init_op = property(lambda self: self._ready_for_local_init_op)
    summary_writer = property(lambda self: self._summary_writer)
    summary_op = property(lambda self: self._summary_op)
    save_summaries_secs = property(lambda self: self._save_summaries_secs)
    global_step = property(lambda self: self._global_step)
    saver = property(lambda self: self._saver)
    save_model_secs = property(lambda self: self._save_model_secs)
    save_path = property(lambda self: self._save_path)

    # -- sessions --------------------------------------------------------------------------------
    def prepare_or_wait_for_session(self, master="", config=None, wait_for_checkpoint=False,
                                    max_wait_secs=7200, start_standard_services=True):
        """A chief restores the latest checkpoint in ``logdir`` or runs the init op and
        ``init_fn``, writes the graph, and (``start_standard_services``) starts the services;
        a non-chief waits for a ready model (see the module docstring). The queue runners
        start too when ``start_standard_services``. Returns the session."""
        self._coord.clear_stop()
        if self._summary_writer:
            self._summary_writer.reopen()
        if self._is_chief:
            sess = self._session_manager.prepare_session(
                master, init_op=self._init_op, saver=self._saver, checkpoint_dir=self._logdir,
                wait_for_checkpoint=wait_for_checkpoint, max_wait_secs=max_wait_secs,
                config=config, init_feed_dict=self._init_feed_dict, init_fn=self._init_fn)
            self._write_graph()
            if start_standard_services:
                logging.info("Starting standard services.")
                self.start_standard_services(sess)
        else:
            sess = self._session_manager.wait_for_session(master, config=config,
                                                          max_wait_secs=max_wait_secs)
        if start_standard_services:
            logging.info("Starting queue runners.")
            self.start_queue_runners(sess)
        return sess

    @contextlib.contextmanager
    def managed_session(self, master="", config=None, start_standard_services=True,
                        close_summary_writer=True):
        """A ``with`` block around a prepared session. On exit the services are stopped and
        joined (``stop_grace_secs``) and the session is closed; then an exception of the block
        or of a service thread is raised, except OutOfRangeError (input exhausted), which
        ends the block normally."""
        sess = None
        try:
            sess = self.prepare_or_wait_for_session(
                master=master, config=config, start_standard_services=start_standard_services)
            yield sess
        except Exception as e:  # noqa: BLE001 - kept by the coordinator; stop() raises it
            self.request_stop(e)
        finally:
            try:
                self.stop(close_summary_writer=close_summary_writer)
            finally:
                # Closing also ends enqueues and dequeues still blocked in the queues.
                if sess is not None:
                    try:
                        sess.close()
                    except Exception:  # noqa: BLE001 - as TF: errors of close are ignored
                        pass

    # -- services --------------------------------------------------------------------------------
    def _write_graph(self):
        if self._logdir:
            from ..graph_util import write_graph

            write_graph(self._graph.as_graph_def(add_shapes=True), self._logdir, "graph.pbtxt")
        if self._summary_writer and not self._graph_added_to_summary:
            from .saver import export_meta_graph

            self._summary_writer.add_graph(self._graph)
            self._summary_writer.add_meta_graph(export_meta_graph(graph=self._graph))
            self._graph_added_to_summary = True

    def start_standard_services(self, sess):
        """Starts (and returns) the summary, step-counter and checkpoint threads that the
        constructor's arguments ask for; a warning and nothing without ``logdir``."""
        if not self._is_chief:
            raise RuntimeError("Only chief supervisor can start standard services. Because "
                               "only chief supervisors can write events.")
        if not self._logdir:
            logging.warning("Standard services need a 'logdir' passed to the SessionManager")
            return None
        if self._global_step is not None and self._summary_writer:
            self._summary_writer.add_session_log(_session_log(_START),
                                                 _step(sess, self._global_step))
        threads = []
        if self._save_summaries_secs and self._summary_writer:
            if self._summary_op is not None:
                threads.append(SVSummaryThread(self, sess))
            if self._global_step is not None:
                threads.append(SVStepCounterThread(self, sess))
        if self._saver and self._save_model_secs:
            threads.append(SVTimerCheckpointThread(self, sess))
        for t in threads:
            t.start()
        return threads

    def start_queue_runners(self, sess, queue_runners=None):
        """Starts the threads of ``queue_runners`` (default: the QUEUE_RUNNERS collection)
        under the supervisor's coordinator; returns them."""
        if queue_runners is None:
            queue_runners = self._graph.get_collection(GraphKeys.QUEUE_RUNNERS)
        threads = []
        for qr in queue_runners:
            threads.extend(qr.create_threads(sess, coord=self._coord, daemon=True, start=True))
        return threads

    def loop(self, timer_interval_secs, target, args=None, kwargs=None):
        """Starts a thread calling ``target(*args, **kwargs)`` every ``timer_interval_secs``
        (back to back if None) until a stop is requested; ``stop()`` joins it."""
        return LooperThread.loop(self._coord, timer_interval_secs, target, args, kwargs)

    def summary_computed(self, sess, summary, global_step=None):
        """Writes ``summary`` (a Summary proto or its bytes) at ``global_step`` (default: the
        global step's current value)."""
        if not self._summary_writer:
            raise RuntimeError("Writing a summary requires a summary writer.")
        if global_step is None and self._global_step is not None:
            global_step = _step(sess, self._global_step)
        self._summary_writer.add_summary(summary, global_step)

    # -- stopping --------------------------------------------------------------------------------
    def stop(self, threads=None, close_summary_writer=True, ignore_live_threads=False):
        """Requests a stop and joins the coordinator's threads (and ``threads``) within
        ``stop_grace_secs``, raising what one of them reported; writes SessionLog STOP and
        closes the summary writer. The session stays open."""
        self._coord.request_stop()
        try:
            self._coord.join(threads, stop_grace_period_secs=self._stop_grace_secs,
                             ignore_live_threads=ignore_live_threads)
        finally:
            if close_summary_writer and self._summary_writer:
                self._summary_writer.add_session_log(_session_log(_STOP))
                self._summary_writer.close()
                self._graph_added_to_summary = False

    def request_stop(self, ex=None):
        self._coord.request_stop(ex=ex)

    def should_stop(self) -> bool:
        return self._coord.should_stop()

    def stop_on_exception(self):
        return self._coord.stop_on_exception()

    def wait_for_stop(self):
        self._coord.wait_for_stop()

    # TF1's original CamelCase names.
    PrepareSession = prepare_or_wait_for_session
    StartQueueRunners = start_queue_runners
    StartStandardServices = start_standard_services
    Stop = stop
    RequestStop = request_stop
    Loop = loop
    ShouldStop = should_stop
    StopOnException = stop_on_exception
    WaitForStop = wait_for_stop
    SummaryComputed = summary_computed


# -- defaults ------------------------------------------------------------------------------------
def _report_uninitialized():
    from ..variables import report_uninitialized_variables

    return report_uninitialized_variables()


def _global_init():
    from ..variables import global_variables_initializer

    return global_variables_initializer()


def _local_init():
    from ..ops.array_ops import group
    from ..variables import local_variables_initializer, tables_initializer

    return group(local_variables_initializer(), tables_initializer())


def _new_saver():
    from ..variables import global_variables
    from .saver import Saver, SaverDef

    # TF's checkpoint format (as the Estimator's): TF resumes the log directory too.
    return Saver(write_version=SaverDef.V2) if global_variables() else None


def _merge_all():
    from ..summary import merge_all

    return merge_all()


def _graph_global_step():
    try:
        step = get_default_graph().get_tensor_by_name("global_step:0")
    except KeyError:
        return None
    if step.dtype.base_dtype.name not in ("int32", "int64"):
        logging.warning("Found 'global_step' is not an int type: %s", step.dtype)
        return None
    return step
