"""TF 1.x Session: runs fetches with feeds through a cache of compiled Plans. Fetch structures
are core/session_fetches.py, feed validation core/session_feeds.py."""

from __future__ import annotations

import contextlib
import itertools
import random
import threading
import weakref
from collections.abc import Mapping

from .errors import CancelledError, InvalidArgumentError, OpError
from .graph import Graph, Operation, Tensor, _graph_stack, get_default_graph
from .nest import flatten, is_nested
from .partial_run import _PartialRun
from . import plan_trace
from .plan import Plan
from .session_handle import (HandleFeedError, HandleResources, compile_plan, feed_value,
                             wrap_handles)
from .session_feeds import (_as_fed, _check_feed, _expand_feed,  # noqa: F401
                            _feed_composite, _feed_key, _feed_parts, _flat_feed_items,
                            register_feed_composite)
from .session_fetches import (_Fetches, _to_result, _to_results,  # noqa: F401
                              register_fetch_composite)

_local = threading.local()
_sessions = weakref.WeakSet()  # every live Session, for Session.reset
_sessions_lock = threading.Lock()


def _session_stack() -> list:
    stack = getattr(_local, "sessions", None)
    if stack is None:
        stack = _local.sessions = []
    return stack


def get_default_session():
    stack = _session_stack()
    return stack[-1] if stack else None


def _eval_with(session, element, feed_dict, kind):
    if session is None:
        session = get_default_session()
        if session is None:
            what = "evaluate tensor using `eval()`" if kind == "tensor" else \
                "execute operation using `run()`"
            raise ValueError(f"Cannot {what}: No default session is registered. Use `with "
                             "sess.as_default()` or pass an explicit session to "
                             f"`{'eval' if kind == 'tensor' else 'run'}(session=sess)`")
        if session.graph is not element.graph:
            raise _other_graph(kind, "default", f" Pass an explicit session to `"
                               f"{'eval' if kind == 'tensor' else 'run'}(session=sess)`.")
    if session.graph is not element.graph:
        raise _other_graph(kind, "given", "")
    return session.run(element, feed_dict)


def _other_graph(kind, which, hint) -> ValueError:
    action = "evaluate tensor" if kind == "tensor" else "execute operation"
    return ValueError(f"Cannot use the {which} session to {action}: the {kind}'s graph is "
                      f"different from the session's graph.{hint}")


# Plans a Session keeps. The key is the feeds, fetches and targets as given (their order
# included), so code that varies them without end would otherwise grow the cache without end.
MAX_CACHED_PLANS = 1024


def _timeout_in_ms(options, config) -> int:
    """RunOptions.timeout_in_ms, else ConfigProto.operation_timeout_in_ms (0: none)."""
    for source, field in ((options, "timeout_in_ms"), (config, "operation_timeout_in_ms")):
        value = getattr(source, field, 0) if source is not None else 0
        if value and value > 0:
            return int(value)
    return 0


def _check_message(value, argument: str, message: str):
    """``options``/``run_metadata`` must be the named message (minitf's or TF's classes): a
    wrong object would otherwise be read as an empty one and silently change nothing."""
    if value is not None and getattr(getattr(value, "DESCRIPTOR", None), "name", None) != message:
        raise TypeError(f"Session.run's {argument} must be a tf.{message}, not "
                        f"{type(value).__module__}.{type(value).__name__}")


def _execute(plan: Plan, values, timeout: int) -> list:
    if timeout:  # blocking ops (queues) give up at the deadline: DeadlineExceededError
        from .ops.queue_ops import run_deadline

        with run_deadline(timeout):
            return plan.run(values)
    return plan.run(values)


def _target_bytes(target):
    return b"" if target is None else target.encode() if isinstance(target, str) else target


class _DeviceAttributes:
    """An entry of ``Session.list_devices()``: TF's name, type, memory limit (TF's default for
    a CPU) and incarnation (a random number per process)."""

    def __init__(self, name, device_type, memory_limit_bytes, incarnation):
        self.name, self.device_type = name, device_type
        self.memory_limit_bytes, self.incarnation = memory_limit_bytes, incarnation

    def __repr__(self):
        return (f"_DeviceAttributes({self.name}, {self.device_type}, "
                f"{self.memory_limit_bytes}, {self.incarnation})")


_INCARNATION = random.getrandbits(63)


class Session:
    """``tf.Session(target='', graph=None, config=None)``: runs a graph, owns variable values."""

    def __init__(self, target="", graph=None, config=None):
        self._graph = graph if graph is not None else get_default_graph()
        if not isinstance(self._graph, Graph):
            raise TypeError(f"graph must be a tf.Graph, but got {type(self._graph).__name__}")
        from .train.server import check_target  # (train imports this module)

        check_target(target)
        self._target = target
        if config is not None and getattr(getattr(config, "DESCRIPTOR", None), "name",
                                          None) != "ConfigProto":
            raise TypeError("Argument `config` must be a tf.ConfigProto, but got "
                            f'"{type(config).__name__}"')
        self._config = config
        if config is not None:  # (0 or unset: the process's setting stands)
            from .config import cap_blas_threads

            cap_blas_threads(config.intra_op_parallelism_threads)
        self._op_timeout = _timeout_in_ms(None, self._config)  # per run: options'
        self._resources = HandleResources()  # with the store of tf.get_session_handle
        self._closed = False
        self._plans: dict = {}
        self._plans_version = self._graph.version
        self._stats = {"compiled": 0, "cached": 0}
        self._context_stack = []
        self._cancelled = False  # Session.reset closed the runtime under this object
        self._partial_runs: dict[str, _PartialRun] = {}
        self._handles = itertools.count()
        self._placement_logged = 0  # graph ops already logged (log_device_placement)
        with _sessions_lock:
            _sessions.add(self)

    graph = property(lambda self: self._graph)
    sess_str = property(lambda self: _target_bytes(self._target))

    @property
    def graph_def(self):
        return self._graph.as_graph_def()

    # -- context management ----------------------------------------------------------------------
    @contextlib.contextmanager
    def as_default(self):
        _session_stack().append(self)
        try:
            yield self
        finally:
            _session_stack().pop()

    def __enter__(self):
        graph_ctx = self._graph.as_default()
        sess_ctx = self.as_default()
        graph_ctx.__enter__()
        sess_ctx.__enter__()
        self._context_stack.append((graph_ctx, sess_ctx))
        return self

    def __exit__(self, exc_type, exc, tb):
        graph_ctx, sess_ctx = self._context_stack.pop()
        sess_ctx.__exit__(exc_type, exc, tb)
        graph_ctx.__exit__(exc_type, exc, tb)
        self.close()

    def close(self):
        if not self._closed:
            self._closed = True
            self._plans.clear()
            self._partial_runs.clear()
            self._resources.clear()

    @staticmethod
    def reset(target, containers=None, config=None):
        """``tf.Session.reset``: as TF's in-process runtime does for its target, closes every
        session on ``target`` and drops what they hold (variables, queues...), whatever
        ``containers`` names. Those sessions then raise CancelledError; ``close()`` still
        works. Every minitf session is in-process: ``target`` picks those created with it."""
        from .compat import as_bytes  # minitf.compat imports minitf: not at module load

        key = b"" if target is None else as_bytes(target)
        for name in containers or ():
            as_bytes(name)  # TF refuses a container name that is not a string
        with _sessions_lock:
            sessions = list(_sessions)
        for sess in sessions:
            if _target_bytes(sess._target) == key:
                sess._cancelled = True
                sess._plans.clear()
                sess._partial_runs.clear()
                sess._resources.clear()

    def list_devices(self):
        """The CPU devices, described as TF describes its local CPU: one, or as many as the
        config's ``device_count['CPU']`` (minitf runs everything on the first)."""
        count = 1
        if self._config is not None and "CPU" in self._config.device_count:
            count = max(1, self._config.device_count["CPU"])
        return [_DeviceAttributes(f"/job:localhost/replica:0/task:0/device:CPU:{i}", "CPU",
                                  268435456, _INCARNATION) for i in range(count)]

    def _log_placement(self):
        """ConfigProto.log_device_placement: as TF, which places the whole graph again each
        time it has grown, a line per op then (every op runs on the CPU here)."""
        ops = self._graph._ops
        if len(ops) > self._placement_logged:
            for op in ops:
                print(f"{op.name}: ({op.type}): /job:localhost/replica:0/task:0/device:CPU:0")
            self._placement_logged = len(ops)

    # -- running ---------------------------------------------------------------------------------
    def _plan(self, feeds: tuple, fetches: tuple, targets: tuple) -> Plan:
        version = self._graph._version
        if version != self._plans_version:
            self._plans.clear()  # ops were added or rewired: recompile on demand
            self._plans_version = version
        key = (feeds, fetches, targets)
        plan = self._plans.get(key)
        if plan is None:
            if self._config is not None and self._config.log_device_placement:
                self._log_placement()
            plan = compile_plan(self, self._graph, feeds, fetches, targets, self._resources)
            if len(self._plans) >= MAX_CACHED_PLANS:  # evict the oldest (dicts keep order);
                try:  # only misses pay for the bound
                    self._plans.pop(next(iter(self._plans)), None)
                except (StopIteration, RuntimeError):  # another thread changed it: no matter
                    pass
            self._plans[key] = plan
            self._stats["compiled"] += 1
        else:
            self._stats["cached"] += 1
        return plan

    def _check_open(self):
        if self._closed:
            raise RuntimeError("Attempted to use a closed Session.")
        if not self._graph._ops:
            raise RuntimeError("The Session graph is empty.  Add operations to the graph before "
                               "calling run().")

    def _check_runtime(self):
        # TF checks this in its runtime, after the Python layer has validated feeds/fetches.
        if self._cancelled:
            raise CancelledError(None, None, "Session has been closed.")

    def _feed_values(self, feed_dict) -> tuple[tuple, list]:
        """The tensors ``feed_dict`` feeds (nested and composite keys expanded) and their
        values, converted and checked as TF does."""
        if not feed_dict:
            return (), ()
        if type(feed_dict) is not dict and not isinstance(feed_dict, Mapping):  # TF's check
            raise TypeError("FlattenDictItems: 'dict' must be a dictionary or collection.Mapping "
                            f"type object, instead of '{type(feed_dict).__name__}'.")
        graph = self._graph
        feeds, values = [], []
        for key, value in _flat_feed_items(feed_dict):
            for k, v in ((key, value),) if type(key) is Tensor else _expand_feed(key, value):
                t = _feed_key(graph, k)
                try:
                    arr = _check_feed(t, v)
                except HandleFeedError as e:  # a TensorHandle: the tensor it names, here
                    arr = feed_value(self._resources, t, e.handle, len(feeds))
                if not graph.is_feedable(t):
                    raise ValueError(f"Tensor {t.name} may not be fed.")
                feeds.append(t)
                values.append(arr)
        return tuple(feeds), values

    def run(self, fetches, feed_dict=None, options=None, run_metadata=None):
        """Runs the ops and evaluates the tensors in ``fetches`` (any nesting)."""
        self._check_open()
        graph = self._graph
        kind = type(fetches)
        if (kind is Tensor or kind is Operation) and fetches.graph is graph \
                and not graph._unfetchable:  # fast path: one tensor, or one op (a train step)
            tensors, targets, handler = ((fetches,), (), None) if kind is Tensor else \
                ((), (fetches,), None)
        else:
            handler = _Fetches(graph, fetches)
            tensors, targets = tuple(handler.tensors), tuple(handler.targets)
        feeds, values = self._feed_values(feed_dict)
        if not tensors and not targets:
            return handler.build([]) if handler else None
        if self._cancelled:
            self._check_runtime()
        plan = self._plan(feeds, tensors, targets)
        if options is None and run_metadata is None:
            timeout = self._op_timeout
            results = _execute(plan, values, timeout) if timeout else plan.run(values)
        else:
            results = self._run_with_options(plan, values, options, run_metadata)
        if handler is None:  # the fast path's one tensor (or op): no lists to build
            if not tensors:
                return None
            v = results[0]
            return _as_fed(tensors[0], v, feed_dict) if feeds and tensors[0] in feeds else \
                _to_result(v)
        return handler.build(_to_results(results, tensors, feeds, feed_dict))

    def _run_with_options(self, plan: Plan, values, options, run_metadata) -> list:
        """A run given RunOptions or a RunMetadata (minitf's or TF's messages, read and
        written duck-typed): the timeout, tracing (core/plan_trace.py) and partition graphs.
        Like TF's, the RunMetadata is replaced by this run's: empty unless traced or asked
        for partition graphs."""
        _check_message(options, "options", "RunOptions")
        _check_message(run_metadata, "run_metadata", "RunMetadata")
        timeout = self._op_timeout if options is None else _timeout_in_ms(options, self._config)
        if run_metadata is None:
            return _execute(plan, values, timeout)
        run_metadata.Clear()
        trace = None
        if plan_trace.trace_level(options) in plan_trace.TRACE_LEVELS:
            trace = plan_trace.Trace(plan)
            results = _execute(trace.plan, values, timeout)
            trace.fill(run_metadata)
        else:
            results = _execute(plan, values, timeout)
        if getattr(options, "output_partition_graphs", False):
            plan_trace.fill_partition_graphs(plan, run_metadata)
        return results

    def make_callable(self, fetches, feed_list=None, accept_options=False):
        """A callable running ``fetches`` with positional feeds for ``feed_list``, compiled once."""
        self._check_open()
        if feed_list is not None and not isinstance(feed_list, (list, tuple)):
            raise TypeError("`feed_list` must be a list or tuple.")
        graph = self._graph
        handler = _Fetches(graph, fetches)
        positional = feed_list is not None  # TF's callable then goes through run()
        feed_list = list(feed_list or ())
        composite = [_feed_composite(f) for f in feed_list]
        # A nested key (a MultiRNNCell state) feeds its leaves; its calls go through run(),
        # as all of TF's do, which flattens each value against its key.
        nested = any(type(f) is not Tensor and is_nested(f) for f in feed_list)
        feeds = tuple(_feed_key(graph, t) for f in feed_list for leaf in flatten(f)
                      for t in _feed_parts(leaf))
        has_composite = any(c is not None for c in composite)
        for t in feeds:
            if not graph.is_feedable(t):
                raise ValueError(f"Tensor {t.name} may not be fed.")
        tensors = tuple(handler.tensors)
        plan = self._plan(feeds, tensors, tuple(handler.targets))
        if not positional and type(plan) is not Plan:  # TF's direct callable gives a
            # GetSessionHandle's bytes, not a TensorHandle: a plain plan of its own
            plan = Plan.compile(graph, feeds, tensors, tuple(handler.targets), self._resources)
        n = len(feed_list)
        single = isinstance(fetches, Tensor)
        build = handler.build
        # A fetched string feed comes back as given (see _as_fed): only then are the values
        # paired with their keys again.
        fed_strings = any(t in feeds and t.dtype.name == "string" for t in tensors)

        def callable_(*args, options=None, run_metadata=None):
            if not positional:  # TF's runs its C session directly, which reports this
                if self._closed or self._cancelled:
                    raise CancelledError(None, None, "Session has been closed.")
                if args:
                    raise TypeError(f"This callable takes no feed values, got {len(args)}")
            else:
                self._check_open()  # TF's calls run(): RuntimeError once closed
                if len(args) != n or nested:
                    # TF's zips feed_list with the values and calls run(): a missing value is
                    # a missing feed (InvalidArgumentError if needed), an extra one is ignored.
                    return self.run(fetches, dict(zip(feed_list, args)), options, run_metadata)
            flat = args
            if has_composite:  # a composite's value feeds its component tensors
                flat = [v for f, c, a in zip(feed_list, composite, args) for v in
                        ((p for _, p in _expand_feed(f, a)) if c is not None else (a,))]
            try:
                values = [_check_feed(t, v) for t, v in zip(feeds, flat)]
            except HandleFeedError:  # TF's callable with a feed_list runs through run()
                return self.run(fetches, dict(zip(feed_list, args)), options, run_metadata)
            self._check_runtime()
            if options is None and run_metadata is None:  # as run(): the config's timeout
                timeout = self._op_timeout
                raw = _execute(plan, values, timeout) if timeout else plan.run(values)
            else:
                raw = self._run_with_options(plan, values, options, run_metadata)
            results = _to_results(raw, tensors, feeds,
                                  dict(zip(feed_list, args)) if fed_strings else None)
            return results[0] if single else build(results)

        return callable_

    # -- partial runs ----------------------------------------------------------------------------
    def partial_run_setup(self, fetches, feeds=None) -> str:
        """Declares what a sequence of ``partial_run`` calls may fetch and feed; returns the
        handle. As in TF, the ops that need none of the declared feeds run now."""
        self._check_open()
        graph = self._graph
        feeds = [] if feeds is None else feeds if isinstance(feeds, (list, tuple)) else [feeds]
        declared = [_feed_key(graph, p, "argument `feed` key") for f in feeds for p in
                    _feed_parts(f)]
        handler = _Fetches(graph, fetches)
        self._check_runtime()
        if not handler.tensors and not handler.targets:
            raise InvalidArgumentError(None, None,
                                       "Must specify at least one target to fetch or execute.")
        for t in handler.tensors:
            if t in declared:
                raise InvalidArgumentError(None, None, f"{t.name} is both fed and fetched.")
        handle = (f"{','.join(t.name for t in declared)}->"
                  f"{','.join(t.name for t in handler.tensors)}/"
                  f"{','.join(op.name for op in handler.targets)}/1/;{next(self._handles)}")
        state = self._partial_runs[handle] = _PartialRun(handler.tensors, handler.targets,
                                                         declared)
        state.error = self._partial_step(state)  # reported by the next partial_run, as in TF
        return handle

    def partial_run(self, handle, fetches, feed_dict=None):
        """Continues the partial run ``handle``: feeds some of its declared feeds and fetches
        some of its declared fetches. What earlier calls computed is reused, not recomputed."""
        self._check_open()
        feeds, values = self._feed_values(feed_dict)
        handler = _Fetches(self._graph, fetches)
        if not handler.tensors and not handler.targets and not feeds:
            return handler.build([])
        if handler.targets:
            raise RuntimeError("partial_run() requires empty `target_list`. Received: "
                               f"target_list={handler.targets} (non-empty)")
        self._check_runtime()
        state = self._partial_runs.get(handle)
        if state is None:
            raise InvalidArgumentError(None, None,
                                       "Must run 'setup' before performing partial runs!")
        # Calls continuing one handle from several threads take turns (each step reads and
        # extends what the earlier ones computed: concurrently, ops would run twice); calls on
        # other handles do not wait.
        with state.lock:
            if self._partial_runs.get(handle) is not state:  # finished or failed meanwhile
                raise InvalidArgumentError(None, None,
                                           "Must run 'setup' before performing partial runs!")
            return self._partial_call(handle, state, handler, feeds, values)

    def _partial_call(self, handle, state, handler, feeds, values):
        fed = dict(zip(feeds, values))
        wanted = [t for t in handler.tensors if t not in fed]  # a fed fetch: the value fed
        state.check(fed, wanted)
        error = state.error
        if error is None:
            state.feed(fed)
            error = self._partial_step(state)
            if error is not None and not wanted:  # nothing waits for it: the next call, as TF
                state.error, error = error, None
        if error is not None:  # TF drops a failed partial run
            self._partial_runs.pop(handle, None)
            raise error
        results = wrap_handles(self, handler.tensors,
                               [fed[t] if t in fed else state.fetch(t) for t in handler.tensors])
        if state.finished():
            self._partial_runs.pop(handle, None)
        return handler.build(results)

    def _partial_step(self, state) -> OpError | None:
        try:
            state.step(self._graph, self._resources, self._op_timeout)
        except OpError as e:
            return e
        return None

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass


class InteractiveSession(Session):
    """A Session that installs itself (and its graph) as the default on construction."""

    def __init__(self, target="", graph=None, config=None):
        super().__init__(target, graph, config)
        # Pushed directly (not through as_default()): a context manager left open would pop
        # someone else's entry when it is garbage collected. As TF, the graph is pushed only
        # when one was given: on the default graph, tf.reset_default_graph() still works (the
        # notebook habit) rather than refusing a nested graph.
        self._pushed_graph = graph is not None
        if self._pushed_graph:
            _graph_stack().append(self._graph)
        _session_stack().append(self)
        self._installed = True

    def close(self):
        if getattr(self, "_installed", False):
            self._installed = False
            stack = _session_stack()
            if self in stack:
                stack.remove(self)
            graphs = _graph_stack()
            for i in range(len(graphs) - 1, -1, -1) if self._pushed_graph else ():
                if graphs[i] is self._graph:  # the innermost entry is ours
                    del graphs[i]
                    break
        super().close()
