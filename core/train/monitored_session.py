"""``tf.train.MonitoredTrainingSession`` and its parts: a Scaffold (the init, ready, local-init,
summary ops and saver, defaulted and then the graph finalized), a session creator that restores
the latest checkpoint or initialises, and a MonitoredSession that runs hooks around every run.

A single process, as minitf has no cluster: ``master`` must be empty and the session is the
chief's."""

from __future__ import annotations

from .. import tf_logging as logging
from ..errors import OutOfRangeError, UnimplementedError
from ..graph import GraphKeys, get_default_graph
from .basic_session_run_hooks import (CheckpointSaverHook, StepCounterHook,
                                      SummarySaverHook)
from .coordinator import Coordinator
from .session_run_hook import SessionRunArgs, SessionRunContext, SessionRunValues

USE_DEFAULT = object()


class Scaffold:
    """The ops that make a session ready. Unset ones come from the graph's collections
    (``init_op``, ``ready_op``, ``local_init_op``, ``summary_op``, ``savers``) or their TF1
    defaults when ``finalize`` runs, which also finalizes the graph."""

    def __init__(self, init_op=None, init_feed_dict=None, init_fn=None, ready_op=None,
                 ready_for_local_init_op=None, local_init_op=None, summary_op=None,
                 saver=None, copy_from_scaffold=None, local_init_feed_dict=None):
        if copy_from_scaffold is not None:
            if not isinstance(copy_from_scaffold, Scaffold):
                raise TypeError("copy_from_scaffold is not a Scaffold instance.")
            c = copy_from_scaffold
            init_op = init_op or c.init_op
            init_feed_dict = init_feed_dict or c.init_feed_dict
            init_fn = init_fn or c._user_init_fn
            ready_op = ready_op or c.ready_op
            ready_for_local_init_op = ready_for_local_init_op or c.ready_for_local_init_op
            local_init_op = local_init_op or c.local_init_op
            local_init_feed_dict = local_init_feed_dict or c.local_init_feed_dict
            summary_op = summary_op or c.summary_op
            saver = saver or c.saver
        self._init_op, self._init_feed_dict = init_op, init_feed_dict
        self._user_init_fn = init_fn
        self._init_fn = (lambda sess: init_fn(self, sess)) if init_fn else None
        self._ready_op, self._ready_for_local_init_op = ready_op, ready_for_local_init_op
        self._local_init_op, self._local_init_feed_dict = local_init_op, local_init_feed_dict
        self._summary_op, self._saver = summary_op, saver

    def finalize(self):
        from .. import variables
        from ..summary import merge_all
        from .saver import Saver, SaverDef

        graph = get_default_graph()
        get_or_default = Scaffold.get_or_default
        if self._init_op is None:
            self._init_op = get_or_default("init_op", GraphKeys.INIT_OP,
                                           variables.global_variables_initializer)
        if self._ready_op is None:
            self._ready_op = get_or_default("ready_op", GraphKeys.READY_OP,
                                            variables.report_uninitialized_variables)
        if self._ready_for_local_init_op is None:
            # As TF's: the global variables must be set before the local init op runs. (Only
            # SessionManager-based creators check it; a chief has initialized them by then.)
            self._ready_for_local_init_op = get_or_default(
                "ready_for_local_init_op", GraphKeys.READY_FOR_LOCAL_INIT_OP,
                lambda: variables.report_uninitialized_variables(variables.global_variables()))
        if self._local_init_op is None:
            self._local_init_op = get_or_default("local_init_op", GraphKeys.LOCAL_INIT_OP,
                                                 Scaffold.default_local_init_op)
        if self._summary_op is None:
            self._summary_op = get_or_default("summary_op", GraphKeys.SUMMARY_OP, merge_all)
        if self._saver is None:
            self._saver = get_or_default(
                "saver", GraphKeys.SAVERS,
                # TF's checkpoint format (as the Estimator's): TF resumes the directory too.
                lambda: Saver(allow_empty=True, write_version=SaverDef.V2)
                if variables.global_variables() else None)
        if self._saver is not None and hasattr(self._saver, "build"):
            self._saver.build()  # a deferred one takes the variables hooks made in begin()
        graph.finalize()
        logging.info("Graph was finalized.")
        return self

    init_op = property(lambda self: self._init_op)
    init_feed_dict = property(lambda self: self._init_feed_dict)
    init_fn = property(lambda self: self._init_fn)
    ready_op = property(lambda self: self._ready_op)
    ready_for_local_init_op = property(lambda self: self._ready_for_local_init_op)
    local_init_op = property(lambda self: self._local_init_op)
    local_init_feed_dict = property(lambda self: self._local_init_feed_dict)
    summary_op = property(lambda self: self._summary_op)
    saver = property(lambda self: self._saver)

    @staticmethod
    def get_or_default(arg_name, collection_key, default_constructor):
        """The default graph's single item in ``collection_key``, or else
        ``default_constructor()``, added to the collection unless it is None (TF's)."""
        graph = get_default_graph()
        found = graph.get_collection(collection_key)
        if len(found) > 1:
            raise RuntimeError(f'More than one item in the collection "{collection_key}". '
                               "Please indicate which one to use by passing it to the "
                               f"tf.Scaffold constructor as:  tf.Scaffold({arg_name}=item to use)")
        if found:
            return found[0]
        op = default_constructor()
        if op is not None:
            graph.add_to_collection(collection_key, op)
        return op

    @staticmethod
    def default_local_init_op():
        from .. import variables
        from ..ops.array_ops import group

        return group(variables.local_variables_initializer(), variables.tables_initializer())


class ChiefSessionCreator:
    """Creates a Session that restores the latest checkpoint in ``checkpoint_dir`` (or
    ``checkpoint_filename_with_path``) or else runs the init op, then the local init op, and
    checks the model is ready."""

    def __init__(self, scaffold=None, master="", config=None, checkpoint_dir=None,
                 checkpoint_filename_with_path=None):
        _refuse_master(master)
        self._scaffold = scaffold or Scaffold()
        self._config = config
        self._checkpoint_dir, self._checkpoint_path = checkpoint_dir, \
            checkpoint_filename_with_path

    def create_session(self):
        from ..session import Session
        from .saver import get_checkpoint_state, latest_checkpoint

        s = self._scaffold.finalize()
        sess = Session(config=self._config)
        path, earlier = self._checkpoint_path, []
        if path is None and self._checkpoint_dir:
            path = latest_checkpoint(self._checkpoint_dir)
            state = get_checkpoint_state(self._checkpoint_dir)
            earlier = state.all_model_checkpoint_paths if state is not None else []
        if path is not None and s.saver is not None:
            s.saver.restore(sess, path)
            # As TF's session manager: the saver takes over the earlier checkpoints, so its
            # max_to_keep counts them (and deletes the oldest) after a restart.
            s.saver.recover_last_checkpoints(earlier)
            logging.info("Restored the model from %s", path)
        else:
            if s.init_op is not None:
                sess.run(s.init_op, feed_dict=s.init_feed_dict)
            if s.init_fn is not None:
                s.init_fn(sess)
        if s.local_init_op is not None:
            sess.run(s.local_init_op, feed_dict=s.local_init_feed_dict)
        if s.ready_op is not None:
            missing = sess.run(s.ready_op)
            if getattr(missing, "size", 0):
                sess.close()
                names = ", ".join(m.decode() if isinstance(m, bytes) else str(m)
                                  for m in missing.ravel())
                raise RuntimeError(f"Init operations did not make model ready. "
                                   f"Uninitialized variables: {names}")
        return sess


def _refuse_master(master):
    from .server import _local_targets  # a tf.train.Server's target made here runs here

    if master and master not in _local_targets:
        raise UnimplementedError(None, None, f"master={master!r}: minitf runs in one process "
                                 "(no distributed sessions); leave master empty")


class MonitoredSession:
    """A Session that calls hooks around every ``run``. ``with`` closes it; an
    OutOfRangeError (input exhausted) or StopIteration ends the block quietly, as in TF."""

    def __init__(self, session_creator=None, hooks=None, stop_grace_period_secs=120):
        self._hooks = list(hooks or [])
        self._graph = get_default_graph()
        # The Scaffold finalizes the graph; closing gives it back as it was (TF does too), so
        # evaluation ops can be added after a training block.
        self._graph_was_finalized = self._graph.finalized
        for hook in self._hooks:
            hook.begin()
        self._sess = (session_creator or ChiefSessionCreator()).create_session()
        self._coord = Coordinator()
        if self._sess.graph.get_collection(GraphKeys.QUEUE_RUNNERS):
            # As TF's _CoordinatedSessionCreator: the input pipeline's threads start before
            # the hooks see the session; close() stops and joins them through the coordinator.
            from .queue_runner import start_queue_runners

            start_queue_runners(sess=self._sess, coord=self._coord)
        self._stop_grace = stop_grace_period_secs
        self._should_stop = False
        self._closed = False
        for hook in self._hooks:
            hook.after_create_session(self._sess, self._coord)

    @property
    def graph(self):
        return self._sess.graph

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        if self.should_stop():
            raise RuntimeError("Run called even after should_stop requested.")
        context = SessionRunContext(SessionRunArgs(fetches, feed_dict, options), self._sess)
        all_fetches, all_feeds = {"caller": fetches}, dict(feed_dict or {})
        for i, hook in enumerate(self._hooks):
            request = hook.before_run(context)
            if request is None:
                continue
            if request.options is not None:  # e.g. ProfilerHook's FULL_TRACE, as TF merges
                options, run_metadata = _with_hook_options(options, run_metadata,
                                                           request.options)
            if request.fetches is not None:
                all_fetches[i] = request.fetches
            for t, value in (request.feed_dict or {}).items():
                if t in all_feeds:
                    who = "a SessionRunHook and user" if feed_dict and t in feed_dict \
                        else "two hooks"
                    raise RuntimeError(f"Same tensor is fed by {who}: {t}")
                all_feeds[t] = value
        results = self._sess.run(all_fetches, feed_dict=all_feeds or None, options=options,
                                 run_metadata=run_metadata)
        for i, hook in enumerate(self._hooks):
            hook.after_run(context, SessionRunValues(results.get(i), options, run_metadata))
        self._should_stop = self._should_stop or context.stop_requested
        return results["caller"]

    def run_step_fn(self, step_fn):
        """``step_fn(step_context)``: ``step_context.run_with_hooks(...)`` runs with the hooks,
        ``step_context.session`` is the raw session, ``request_stop()`` stops."""
        context = _StepContext(self._sess, self.run)
        result = step_fn(context)
        if context.stop_requested:
            self._should_stop = True
        return result

    def should_stop(self) -> bool:
        return self._should_stop or self._coord.should_stop()

    def close(self):
        self._close(None)

    def _close(self, exception_type):
        if self._closed:
            return
        self._closed = True
        try:
            if exception_type is None:
                for hook in self._hooks:
                    hook.end(self._sess)
        finally:
            self._coord.request_stop()
            try:
                self._coord.join(stop_grace_period_secs=self._stop_grace,
                                 ignore_live_threads=True)
            finally:
                self._sess.close()
                if not self._graph_was_finalized:
                    self._graph._unsafe_unfinalize()

    def __enter__(self):
        return self

    def __exit__(self, exception_type, exception_value, traceback):
        if exception_type is not None and issubclass(exception_type,
                                                     (OutOfRangeError, StopIteration)):
            exception_type = None
        self._close(exception_type)
        return exception_type is None


class SingularMonitoredSession(MonitoredSession):
    """A MonitoredSession that creates its own chief session; ``raw_session()`` gives it."""

    def __init__(self, hooks=None, scaffold=None, master="", config=None, checkpoint_dir=None,
                 stop_grace_period_secs=120, checkpoint_filename_with_path=None):
        super().__init__(ChiefSessionCreator(scaffold, master, config, checkpoint_dir,
                                             checkpoint_filename_with_path), hooks,
                         stop_grace_period_secs)

    def raw_session(self):
        return self._sess


class _StepContext:
    def __init__(self, session, run_with_hooks):
        self._session, self._run = session, run_with_hooks
        self.stop_requested = False

    @property
    def session(self):
        return self._session

    def run_with_hooks(self, *args, **kwargs):
        return self._run(*args, **kwargs)

    def request_stop(self):
        self.stop_requested = True


def MonitoredTrainingSession(master="", is_chief=True, checkpoint_dir=None, scaffold=None,  # noqa: N802
                             hooks=None, chief_only_hooks=None,
                             save_checkpoint_secs=USE_DEFAULT, save_summaries_steps=USE_DEFAULT,
                             save_summaries_secs=USE_DEFAULT, config=None,
                             stop_grace_period_secs=120, log_step_count_steps=100,
                             max_wait_secs=7200, save_checkpoint_steps=USE_DEFAULT,
                             summary_dir=None, save_graph_def=True):
    """A MonitoredSession for training: restores or initialises, and (given
    ``checkpoint_dir``/``summary_dir``) saves checkpoints every ``save_checkpoint_secs`` (600)
    or ``save_checkpoint_steps``, summaries every ``save_summaries_steps`` (100) or
    ``save_summaries_secs``, and logs steps per second every ``log_step_count_steps``."""
    _refuse_master(master)
    if not is_chief:
        raise UnimplementedError(None, None, "is_chief=False: a worker waits for a chief in "
                                 "another process, and minitf runs in one process")
    if save_summaries_steps is USE_DEFAULT and save_summaries_secs is USE_DEFAULT:
        save_summaries_steps, save_summaries_secs = 100, None
    else:
        save_summaries_steps = None if save_summaries_steps is USE_DEFAULT \
            else save_summaries_steps
        save_summaries_secs = None if save_summaries_secs is USE_DEFAULT else save_summaries_secs
    if save_checkpoint_secs is USE_DEFAULT and save_checkpoint_steps is USE_DEFAULT:
        save_checkpoint_secs, save_checkpoint_steps = 600, None
    else:
        save_checkpoint_secs = None if save_checkpoint_secs is USE_DEFAULT \
            else save_checkpoint_secs
        save_checkpoint_steps = None if save_checkpoint_steps is USE_DEFAULT \
            else save_checkpoint_steps
    scaffold = scaffold or Scaffold()
    all_hooks = []
    summary_dir = summary_dir or checkpoint_dir
    if summary_dir:
        if log_step_count_steps and log_step_count_steps > 0:
            all_hooks.append(StepCounterHook(every_n_steps=log_step_count_steps,
                                             output_dir=summary_dir))
        if (save_summaries_steps and save_summaries_steps > 0) or \
                (save_summaries_secs and save_summaries_secs > 0):
            all_hooks.append(SummarySaverHook(save_steps=save_summaries_steps,
                                              save_secs=save_summaries_secs,
                                              output_dir=summary_dir, scaffold=scaffold))
    if checkpoint_dir and ((save_checkpoint_secs and save_checkpoint_secs > 0) or
                           (save_checkpoint_steps and save_checkpoint_steps > 0)):
        all_hooks.append(CheckpointSaverHook(checkpoint_dir, save_steps=save_checkpoint_steps,
                                             save_secs=save_checkpoint_secs, scaffold=scaffold,
                                             save_graph_def=save_graph_def))
    all_hooks.extend(chief_only_hooks or [])
    all_hooks.extend(hooks or [])
    return MonitoredSession(ChiefSessionCreator(scaffold, config=config,
                                                checkpoint_dir=checkpoint_dir),
                            all_hooks, stop_grace_period_secs)


def _with_hook_options(options, run_metadata, incoming):
    """TF's ``_HookedSession._merge_run_options``: a hook's RunOptions merged into the run's
    (numbers: the larger, flags: either), and a RunMetadata for the hooks to read."""
    import importlib

    config_pb2 = importlib.import_module("minitf.protos.config_pb2")  # core: lazily (DESIGN)
    if options is None:
        options = config_pb2.RunOptions()
    options.trace_level = max(options.trace_level, incoming.trace_level)
    options.timeout_in_ms = max(options.timeout_in_ms, incoming.timeout_in_ms)
    options.inter_op_thread_pool = max(options.inter_op_thread_pool,
                                       incoming.inter_op_thread_pool)
    options.output_partition_graphs = (options.output_partition_graphs
                                       or incoming.output_partition_graphs)
    options.report_tensor_allocations_upon_oom = (
        options.report_tensor_allocations_upon_oom
        or incoming.report_tensor_allocations_upon_oom)
    return options, run_metadata if run_metadata is not None else config_pb2.RunMetadata()
