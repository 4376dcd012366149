"""``Session.partial_run``'s state: one handle's feeds, fetches and what its steps computed.

TF's executor runs a handle's ops as soon as their inputs are there; here each step is one Plan
(the one executor) fed with everything known so far."""

from __future__ import annotations

import threading

import numpy as np

from .errors import InvalidArgumentError, OpError
from .graph import Graph, Operation, Tensor
from .plan import _FRAME_OPS, Plan, Resources


class _PartialRun:
    """One partial_run_setup handle. TF's executor runs a handle's ops as soon as their inputs
    are there: at setup those needing none of the declared feeds, after each partial_run those
    its feeds made computable. Each ``step`` here is one Plan fed with everything known so far
    (the feeds given, the values earlier steps computed and kept), so no op runs twice."""

    def __init__(self, fetches, targets, feeds):
        self.feeds = dict.fromkeys(feeds, False)  # declared feed -> fed yet
        self.fetches = dict.fromkeys(fetches, False)  # declared fetch -> fetched yet
        self.targets = list(targets)  # declared ops not run yet
        self.known: dict = {}  # tensor -> value: fed, or computed by an earlier step
        self.done: set = set()  # ops that ran and need not run again
        self.error: OpError | None = None  # a step's failure no call has reported yet
        self.lock = threading.Lock()  # held by Session.partial_run: one call at a time
        self.needed = _ancestors([t._op for t in fetches] + self.targets, self.feeds)

    def check(self, fed: dict, wanted: list):
        """TF's checks of a call's feeds and fetches (DirectSession::PRun, CheckFetch)."""
        for t in fed:
            if t not in self.feeds:
                raise InvalidArgumentError(
                    None, None, f"The feed {t.name} was not specified in partial_run_setup.")
            if self.feeds[t]:
                raise InvalidArgumentError(None, None, f"The feed {t.name} has already been fed.")
        for t in wanted:
            if t not in self.fetches:
                raise InvalidArgumentError(
                    None, None, f"The fetch {t.name} was not specified in partial_run_setup.")
            if self.fetches[t]:
                raise InvalidArgumentError(
                    None, None, f"The fetch {t.name} has already been fetched.")
        pending = {t for t, given in self.feeds.items() if not given and t not in fed}
        for t in wanted:
            missing = self._pending_input(t._op, pending)
            if missing is not None:
                raise InvalidArgumentError(None, None, f"Fetch {missing.name} can't be computed "
                                           "from the feeds that have been fed so far.")

    def _pending_input(self, root: Operation, pending: set):
        """A feed in ``pending`` that ``root`` needs, or None."""
        seen, stack = {root}, [root]
        while stack:
            op = stack.pop()
            for t in op._inputs:
                if t in pending:
                    return t
                if t not in self.known and t not in self.feeds and t._op not in seen:
                    seen.add(t._op)
                    stack.append(t._op)
            for c in op._control_inputs:
                if _fed_placeholder(c, pending):
                    return c._outputs[0]
                if c not in seen:
                    seen.add(c)
                    stack.append(c)
        return None

    def feed(self, fed: dict):
        for t, v in fed.items():
            self.feeds[t] = True
            self.known[t] = v.copy()  # the caller's array may change before a later step

    def fetch(self, t: Tensor):
        self.fetches[t] = True
        from .session import _to_result  # (session imports this module)

        v = self.known[t]
        # A copy: the value stays in use by later steps, whatever the caller does with it.
        return v.copy() if type(v) is np.ndarray and v.ndim else _to_result(v)

    def finished(self) -> bool:
        return all(self.feeds.values()) and all(self.fetches.values())

    def step(self, graph: Graph, resources: Resources, timeout: int):
        """Runs what the feeds given so far allow and has not run: declared fetches and
        targets, and what the ops still waiting for feeds need from the others."""
        blocked = self._blocked()
        fetches = dict.fromkeys(t for t in self.fetches
                                if t not in self.known and t._op not in blocked)
        targets = dict.fromkeys(op for op in self.targets if op not in blocked)
        tainted: dict = {}
        self._frontier(blocked, fetches, targets, tainted)
        if not fetches and not targets:
            return
        from .session import _execute  # (session imports this module)

        feeds = tuple(self.known)
        plan = Plan.compile(graph, feeds, tuple(fetches), tuple(targets), resources,
                            _done=frozenset(self.done))
        values = _execute(plan, [self.known[t] for t in feeds], timeout)
        self.known.update(zip(fetches, values))
        # An op whose values were not all kept (a variable, control flow) must be able to run
        # again for a later step: only the others count as done.
        self.done.update(op for op in (*plan.ops, *targets) if type(op) is Operation and
                         not _is_variable(op) and not self._tainted(op, tainted))
        self.targets = [op for op in self.targets if op in blocked]

    def _blocked(self) -> set:
        """The needed ops that depend on a declared feed not given yet."""
        pending = [t for t, given in self.feeds.items() if not given]
        stack = [op for t in pending for op in t._consumers]
        # A fed Placeholder's control edges come from the feed (TF rewrites them so).
        stack += [op for t in pending if _fed_placeholder(t._op, self.feeds)
                  for op in t._op._control_outputs]
        blocked: set = set()
        while stack:
            op = stack.pop()
            if op in blocked or op not in self.needed:
                continue
            blocked.add(op)
            stack.extend(c for t in op._outputs if t not in self.known for c in t._consumers)
            stack.extend(op._control_outputs)
        return blocked

    def _frontier(self, blocked: set, fetches: dict, targets: dict, tainted: dict):
        """Adds to ``fetches`` the values the blocked ops read from ops that can run now (so
        later steps are fed them) and to ``targets`` the ops they wait for through control
        edges. A value no later Plan could be fed (a variable's, one on a branch of a
        conditional or inside a while loop) is not kept: what it is computed from is."""
        seen: set = set()
        stack = [x for op in blocked for x in (*op._inputs, *op._control_inputs)]
        while stack:
            x = stack.pop()
            if x in seen:
                continue
            seen.add(x)
            if isinstance(x, Tensor):
                op = x._op
                if x in self.known or x in self.feeds or op in blocked or _is_variable(op):
                    continue  # a variable is read where it is used, as TF reads a ref
                if not self._tainted(op, tainted):
                    fetches[x] = None
                    continue
            else:
                op = x
                if op in blocked or op in self.done or op not in self.needed:
                    continue  # (not needed: a declared Placeholder, whose feed is the edge)
                if not self._tainted(op, tainted):
                    targets[op] = None
                    continue
            stack.extend(op._inputs)
            stack.extend(op._control_inputs)

    def _tainted(self, root: Operation, memo: dict) -> bool:
        """Whether ``root`` is, or depends on through values not known, TF1 control flow: a
        Switch or Merge (its value may be dead) or a while loop's frame."""
        stack = [root]
        while stack:
            op = stack[-1]
            if op in memo:
                stack.pop()
                continue
            if op._opdef.dead or op._opdef.type in _FRAME_OPS:  # a loop's cycle ends here
                memo[op] = True
                stack.pop()
                continue
            deps = [t._op for t in op._inputs if t not in self.known] + op._control_inputs
            todo = [d for d in deps if d not in memo]
            if todo:
                stack.extend(todo)
            else:
                memo[op] = any(memo[d] for d in deps)
                stack.pop()
        return memo[root]


def _is_variable(op: Operation) -> bool:
    return op._opdef.resource == "variable" and not op._inputs


def _fed_placeholder(op: Operation, feeds) -> bool:
    return op._opdef.type == "Placeholder" and op._outputs[0] in feeds


def _ancestors(roots: list, stop) -> set:
    """The ops ``roots`` reach through data and control inputs, not crossing tensors in
    ``stop``."""
    seen, stack = set(), list(roots)
    while stack:
        op = stack.pop()
        if op not in seen:
            seen.add(op)
            stack.extend(t._op for t in op._inputs if t not in stop)
            stack.extend(c for c in op._control_inputs if not _fed_placeholder(c, stop))
    return seen
