"""The executor: a graph compiled for one (feeds, fetches, targets) into a list of prepared steps.

``Plan.compile`` prunes to what the fetches and targets need (stopping at fed tensors), orders
the ops topologically (rejecting cycles), folds stateless constant subgraphs, aliases pure
forwarding ops (Identity) to their input, binds each kernel with its attrs and resources, gives
every tensor an integer slot and frees each slot after its last use. ``Plan.run`` is a tight
loop over the prepared steps. Session and the model server both execute through this class.

The compiler is core/plan_compile.py, TF1's while loops core/plan_control_flow.py, the step
closures core/plan_codegen.py and the state steps keep between runs (variable cells, random
generators) core/plan_resources.py; this module holds the plan and its run path.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from .errors import InvalidArgumentError, OpError, ResourceExhaustedError
from .graph import Operation, Tensor
from .opdef import DEAD
from .plan_compile import _Compiler
from .plan_resources import Cell, _NoResources

# Also importable from here, as before the split (Session, partial runs, the server, tests).
from .plan_compile import FOLD_MAX_ELEMENTS  # noqa: F401
from .plan_control_flow import _FRAME_OPS, _Loop, _merged_condition, _predicate  # noqa: F401
from .plan_resources import Resources  # noqa: F401


class Plan:
    """A compiled (feeds, fetches, targets) over a graph. Thread-safe to ``run`` concurrently."""

    def __init__(self):
        raise TypeError("use Plan.compile(...)")

    @classmethod
    def compile(cls, graph, feeds: Sequence[Tensor] = (), fetches: Sequence[Tensor] = (),
                targets: Sequence[Operation] = (), resources=None, fold_constants: bool = True,
                _frame: str | None = None, _outer_feeds: frozenset = frozenset(),
                _done: frozenset = frozenset(), _dead_feeds: frozenset = frozenset()):
        """``_frame``: compiling the inside of that while loop (see _Loop): the values entering
        it (its Enter ops) become feeds as the pruning reaches them; ``_outer_feeds`` are the
        enclosing plans' feeds, which no value inside a loop may be. ``_done``: ops that ran
        in an earlier step of a partial run; the pruning stops at them (their values needed
        are fed), so an op reached only through a control edge does not run twice.
        ``_dead_feeds``: feeds that may be dead (a loop's body when a value entering its frame
        is, see _Loop._run); the ops they reach are guarded as those after a Switch."""
        self = object.__new__(cls)
        self.graph = graph
        self.feeds = tuple(feeds)
        self.fetches = tuple(fetches)
        self.targets = tuple(targets)
        self._entered = {}  # inside a loop: the Enter/RefEnter ops of its frame reached
        _Compiler(self, resources or _NoResources(), fold_constants, _frame,
                  _outer_feeds, _done, _dead_feeds).build()
        if _frame is None:  # (inside a loop, the refs entering its frame are its feeds)
            _check_fed_refs(self._order, self.feeds)
        return self

    # -- execution -------------------------------------------------------------------------------
    def run(self, feed_values: Sequence = ()) -> list:
        """Runs the plan. ``feed_values`` align with ``feeds`` (already validated arrays)."""
        out = self._run_inside(feed_values)
        if self._conditional:
            for k, v in enumerate(out):
                if type(v) is Cell:  # a RefSwitch output fetched: the variable's value
                    out[k] = v = v.get()
                if v is DEAD:
                    raise InvalidArgumentError(
                        None, None, f"Retval[{k}] does not have value: {self.fetches[k].name} "
                        "is on the branch of a conditional (Switch) that was not taken")
        for k in self._copy_if_readonly:
            v = out[k]
            # Never hand out memory owned by a variable or constant, nor the caller's own
            # (an identity, reshape or slice of a feed): TF returns memory of its own. A
            # fetched feed itself comes back as fed.
            if type(v) is np.ndarray and (not v.flags.writeable or (
                    feed_values and _views_any(v, feed_values))):
                out[k] = v.copy()
        return out

    def _run_inside(self, feed_values: Sequence) -> list:
        """The steps and the fetched values as they are: ``run`` without its checks and
        copies, which a while loop's condition and body (_Loop) need not (a loop's values
        never leave it uncopied)."""
        s = self._initial.copy()
        for i, v in zip(self._feed_slots, feed_values):
            s[i] = v
        try:
            for step in self._steps:
                step(s)
        except Exception as e:  # noqa: BLE001 - every failure is reported as an OpError
            raise _op_error(e, step.op) from None
        return [s[i] for i in self._fetch_slots]

    def run_traced(self, feed_values: Sequence = ()) -> tuple[list, list[int]]:
        """Like ``run``, also returning the number of live intermediate slots after each step."""
        s = self._initial.copy()
        for i, v in zip(self._feed_slots, feed_values):
            s[i] = v
        inter = self._intermediate_slots
        live = []
        for step in self._steps:
            step(s)
            live.append(sum(1 for i in inter if s[i] is not None))
        return [s[i] for i in self._fetch_slots], live

    @property
    def num_steps(self) -> int:
        return len(self._steps)

    @property
    def ops(self) -> list:
        """The ops that run, in execution order (folded and aliased ops excluded)."""
        return [step.op for step in self._steps]

    @property
    def folded_ops(self) -> list:
        return list(self._folded)

    def __repr__(self):
        return (f"<Plan feeds={len(self.feeds)} fetches={len(self.fetches)} "
                f"targets={len(self.targets)} steps={len(self._steps)}>")


def _check_fed_refs(order, feeds):
    """A fed value is no variable: an op updating a ref argument (Assign, AssignAdd, Apply*)
    fed one is refused at compile time, before anything runs, as TF's placement refuses the
    plain tensor a feed makes where a ref is expected (the variable stays as it is)."""
    for op in order:
        for i in _Compiler._ref_positions(op):
            t = op._inputs[i]
            if t in feeds:
                raise InvalidArgumentError(
                    None, op, f"Input {i} of node {op.name} was passed {t.dtype.name} from "
                    f"{t.name} incompatible with expected {t.dtype.name}_ref: {t.name} is fed, "
                    f"and {op.type} cannot update a fed value (the variable {t.op.name} is not "
                    "changed)")


def _views_any(v: np.ndarray, arrays) -> bool:
    """Whether ``v`` is, or views the memory of, one of ``arrays``."""
    for a in arrays:
        if v is a or (v.base is not None and type(a) is np.ndarray
                      and np.may_share_memory(v, a)):
            return True
    return False


def _op_error(e: Exception, op: Operation) -> OpError:
    context = f"\n\t [[{{{{node {op.name}}}}}]]"
    if isinstance(e, OpError):
        msg = e.message if e.message.endswith("]]") else e.message + context
        err = type(e)(None, e.op if e.op is not None else op, msg)  # a loop's: its inner op
    elif isinstance(e, MemoryError):
        err = ResourceExhaustedError(None, op, f"OOM when running {op.type} '{op.name}': "
                                     f"{e}{context}")
    elif isinstance(e, ValueError) and (shapes := _NUMPY_BROADCAST.search(str(e))):
        # The hot binary kernels (Add, Mul...) leave numpy's message: TF's words for it
        dims = [f"[{','.join(d for d in s.split(',') if d.strip())}]" for s in shapes.groups()]
        err = InvalidArgumentError(None, op, f"Incompatible shapes: {dims[0]} vs. {dims[1]}"
                                   f"{context}")
    else:
        err = InvalidArgumentError(None, op, f"{op.type} '{op.name}' failed: "
                                   f"{type(e).__name__}: {e}{context}")
    return err


_NUMPY_BROADCAST = re.compile(r"^operands could not be broadcast together with shapes "
                              r"\(([\d,]*)\) \(([\d,]*)\)")
