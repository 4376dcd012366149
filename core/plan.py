"""The executor: a graph compiled for one (feeds, fetches, targets) into a list of prepared steps.

``Plan.compile`` prunes to what the fetches and targets need (stopping at fed tensors), orders
the ops topologically (rejecting cycles), folds stateless constant subgraphs, aliases pure
forwarding ops (Identity) to their input, binds each kernel with its attrs and resources, gives
every tensor an integer slot and frees each slot after its last use. ``Plan.run`` is a tight
loop over the prepared steps. Session and the model server both execute through this class.
"""

from __future__ import annotations

import functools
import heapq
import threading
import warnings
from collections.abc import Sequence

import numpy as np

from .errors import FailedPreconditionError, InvalidArgumentError, OpError, ResourceExhaustedError
from .graph import Operation, Tensor, _arg_slices, evaluate_kernel
from .opdef import DEAD, identity_kernel


# Constant folding evaluates ops whose results have at most this many elements.
FOLD_MAX_ELEMENTS = 1 << 22

# TF1's loop frame ops the pruning treats specially (see _Compiler._frame_op).
_FRAME_OPS = frozenset({"Exit", "Enter", "RefEnter", "NextIteration"})


class Cell:
    """A variable's storage. ``value`` is updated in place by optimizers; ``read`` is a
    read-only view of it handed to consumers, so fetched values and folded results can never
    alias (and later corrupt) variable memory unnoticed."""

    __slots__ = ("name", "value", "read", "lock")

    def __init__(self, name: str):
        self.name = name
        self.value = None
        self.read = None
        self.lock = threading.Lock()  # held by updates made with use_locking=True

    def set(self, value: np.ndarray):
        self.value = value
        view = value.view()
        view.flags.writeable = False
        self.read = view

    def get(self) -> np.ndarray:
        read = self.read
        if read is None:
            raise FailedPreconditionError(
                None, None, f"Attempting to use uninitialized value {self.name}")
        return read

    def initialized(self) -> bool:
        return self.value is not None


class Resources:
    """Per-session runtime state: variable cells, random generators and kernels' own state
    (Print's count), keyed by op."""

    def __init__(self):
        self._cells: dict[Operation, Cell] = {}
        self._rngs: dict[Operation, np.random.Generator] = {}
        self._states: dict[Operation, dict] = {}
        self._lock = threading.Lock()

    def variable(self, op: Operation) -> Cell:
        with self._lock:
            cell = self._cells.get(op)
            if cell is None:
                cell = self._cells[op] = Cell(op.name)
            return cell

    def rng(self, op: Operation) -> np.random.Generator:
        with self._lock:
            gen = self._rngs.get(op)
            if gen is None:
                seed, seed2 = op._attrs.get("seed", 0), op._attrs.get("seed2", 0)
                # TensorFlow: both seeds zero means nondeterministic.
                entropy = None if seed == 0 and seed2 == 0 else [seed & 0xFFFFFFFF, seed2]
                gen = self._rngs[op] = np.random.default_rng(entropy)
            return gen

    def state(self, op: Operation) -> dict:
        """A dict the op's kernel keeps from run to run in this session."""
        with self._lock:
            return self._states.setdefault(op, {})

    def cells(self) -> dict:
        return dict(self._cells)

    def clear(self):
        with self._lock:
            states = list(self._states.values())
            self._cells.clear()
            self._rngs.clear()
            self._states.clear()
        # Runs blocked in other threads (a queue's dequeue or enqueue) fail with
        # CancelledError instead of waiting forever: TF cancels them when the session closes.
        for state in states:
            for value in list(state.values()):
                cancel = getattr(value, "cancel", None)
                if callable(cancel):
                    cancel()


class _NoResources:
    def variable(self, op):
        raise FailedPreconditionError(
            None, op, f"Op '{op.name}' ({op.type}) needs variable storage, which this executor "
            "does not have; freeze the graph (variables to constants) before serving it.")

    def rng(self, op):
        return np.random.default_rng()

    def state(self, op):
        return {}


class Plan:
    """A compiled (feeds, fetches, targets) over a graph. Thread-safe to ``run`` concurrently."""

    def __init__(self):
        raise TypeError("use Plan.compile(...)")

    @classmethod
    def compile(cls, graph, feeds: Sequence[Tensor] = (), fetches: Sequence[Tensor] = (),
                targets: Sequence[Operation] = (), resources=None, fold_constants: bool = True,
                _frame: str | None = None, _outer_feeds: frozenset = frozenset(),
                _done: frozenset = frozenset()):
        """``_frame``: compiling the inside of that while loop (see _Loop): the values entering
        it (its Enter ops) become feeds as the pruning reaches them; ``_outer_feeds`` are the
        enclosing plans' feeds, which no value inside a loop may be. ``_done``: ops that ran
        in an earlier step of a partial run; the pruning stops at them (their values needed
        are fed), so an op reached only through a control edge does not run twice."""
        self = object.__new__(cls)
        self.graph = graph
        self.feeds = tuple(feeds)
        self.fetches = tuple(fetches)
        self.targets = tuple(targets)
        self._entered = {}  # inside a loop: the Enter/RefEnter ops of its frame reached
        _Compiler(self, resources or _NoResources(), fold_constants, _frame,
                  _outer_feeds, _done).build()
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
    else:
        err = InvalidArgumentError(None, op, f"{op.type} '{op.name}' failed: "
                                   f"{type(e).__name__}: {e}{context}")
    return err


class _Compiler:
    def __init__(self, plan: Plan, resources, fold: bool, frame: str | None = None,
                 outer_feeds: frozenset = frozenset(), done: frozenset = frozenset()):
        self.plan = plan
        self.done = done
        self.resources = resources
        self.fold = fold
        self.frame = frame
        self.outer_feeds = outer_feeds
        self._loops: dict[Operation, _Loop] = {}  # by LoopCond op
        self._step_of: dict[Operation, _Loop] = {}  # an Exit op -> its loop's step
        self._const_values: dict[int, np.ndarray] = {}  # folded values by slot
        self._folded_set: set[Operation] = set()
        self._cells: dict[int, Cell] = {}  # variable output slots served from their Cell

    def build(self):
        plan = self.plan
        fed = {t: i for i, t in enumerate(plan.feeds)}
        order = self._toposort(self._needed_ops(fed), fed)
        self._dead = dead = self._maybe_dead(order, fed, self._src)
        # A conditional op with a control input that may be dead must learn whether that input
        # ran: its first output says, unless it has none or is a Switch (which runs with one
        # output dead); those get a slot of their own, DEAD when they did not run.
        step_of = self._src
        signals = {step_of(c) for op in dead for c in op._control_inputs if step_of(c) in dead}
        ran: dict[Operation, int] = {}
        token_of: dict[Operation, int] = {}

        slot_of: dict[Tensor, int] = {}
        initial: list = []

        def new_slot(value=None) -> int:
            initial.append(value)
            return len(initial) - 1

        feed_slots = []
        for t in plan.feeds:
            if t not in slot_of:
                slot_of[t] = new_slot()
            feed_slots.append(slot_of[t])

        const_slots: set[int] = set()
        folded: list[Operation] = []
        todo: list[Operation] = []
        out_slots: list[tuple] = []
        ref_slots: set[int] = set()  # RefSwitch outputs: a variable's Cell, read by consumers
        for op in order:
            if self.fold and self._try_fold(op, fed, slot_of, new_slot, const_slots):
                folded.append(op)
                continue
            if op in signals and (not op._outputs or op._opdef.dead == "makes"):
                ran[op] = token_of[op] = new_slot()
                if not op._outputs:
                    out_slots.append((ran[op],))  # dead, or the kernel's result (live)
                    todo.append(op)
                    continue
            if not op._outputs and not op._opdef.stateful:
                continue  # NoOp: only orders its control inputs, which the topological order did
            if op._opdef.kernel is identity_kernel and op._inputs and op._outputs[0] not in fed \
                    and not (op in dead and any(c in dead for c in op._control_inputs)):
                src = op._inputs[0]
                if src in slot_of and slot_of[src] not in ref_slots:  # a ref's read must run
                    slot_of[op._outputs[0]] = slot_of[src]
                    ran.setdefault(op, slot_of[src])
                    continue
            outs = []
            for t in op._outputs:
                if t in fed:
                    outs.append(new_slot())  # the fed value wins; the kernel's is discarded
                else:
                    slot_of[t] = new_slot()
                    outs.append(slot_of[t])
            out_slots.append(tuple(outs))
            if op._opdef.type in ("RefSwitch", "RefEnter"):
                ref_slots.update(slot_of[t] for t in op._outputs if t in slot_of)
            ran.setdefault(op, outs[0] if outs else None)  # a fed output: the op's own value
            todo.append(op)

        fetch_slots = []
        for t in plan.fetches:
            if t not in slot_of:  # a fetch nothing computes: only possible if unreachable
                raise InvalidArgumentError(None, t.op, f"Fetch {t.name} cannot be computed")
            fetch_slots.append(slot_of[t])
        keep = set(fetch_slots) | const_slots | set(feed_slots)

        # Variable reads: consumers take the value straight from the variable's Cell, so a
        # VariableV2 step only runs where its value must sit in a slot (a fetch, a list arg).
        cells: dict[int, Cell] = {}
        for k, op in enumerate(todo):
            if op._opdef.resource == "variable" and not op._inputs and \
                    not op._opdef.ref_args and op not in dead:
                cells[out_slots[k][0]] = self.resources.variable(op)
        reads, slot_reads = [], set(fetch_slots)
        for op in todo:
            r = self._reads(op, slot_of, cells)
            if op in dead:
                r += [ran[step_of(c)] for c in op._control_inputs if step_of(c) in dead]
                # A variable reached through a RefSwitch (a ref argument, bound to its Cell):
                # its slot says whether that branch runs.
                r += [slot_of[op._inputs[i]] for i in self._ref_positions(op)
                      if slot_of.get(op._inputs[i]) in ref_slots]
            reads.append(r)
            slot_reads.update(r)
        kept = [k for k, op in enumerate(todo)
                if not (out_slots[k] and out_slots[k][0] in cells and
                        out_slots[k][0] not in slot_reads)]
        todo = [todo[k] for k in kept]
        out_slots = [out_slots[k] for k in kept]
        reads = [reads[k] for k in kept]
        self._cells = cells

        # Liveness: the last step reading each slot.
        last_use: dict[int, int] = {}
        for k in range(len(todo)):
            for i in out_slots[k]:
                last_use.setdefault(i, k)  # unread outputs die where they are made
            for i in reads[k]:
                last_use[i] = k
        frees: list[list[int]] = [[] for _ in todo]
        for i, k in last_use.items():
            if i not in keep:
                frees[k].append(i)

        self._ref_slots = ref_slots
        plan._steps = [self._bind(op, slot_of, out_slots[k], tuple(frees[k]))
                       for k, op in enumerate(todo)]
        for k, op in enumerate(todo):
            if op in dead and op._opdef.dead != "takes":
                plan._steps[k] = _unless_dead(plan._steps[k], tuple(reads[k]), out_slots[k],
                                              tuple(frees[k]), token_of.get(op))
        plan._conditional = any(op._opdef.dead for op in order)  # DEAD may reach a fetch
        plan._initial = initial
        plan._feed_slots = tuple(feed_slots)
        plan._fetch_slots = tuple(fetch_slots)
        plan._copy_if_readonly = tuple(
            k for k, t in enumerate(plan.fetches) if t not in fed)
        plan._intermediate_slots = tuple(sorted({i for outs in out_slots for i in outs} - keep))
        plan._folded = folded
        if self.frame is not None:  # what _Loop.prune asks of a loop's condition and body
            plan._used_feeds = {t for op in order for t in op._inputs if t in fed} | \
                {t for t in plan.fetches if t in fed}
            plan._dead_targets = any(step_of(op) in dead for op in plan.targets)

    # -- pruning and ordering --------------------------------------------------------------------
    @staticmethod
    def _ref_positions(op: Operation) -> tuple:
        """Flat input positions of ref arguments (bound to variable cells, not read as data)."""
        refs = op._opdef.ref_args
        if not refs:
            return ()
        slices = _arg_slices(op)
        return refs if slices is None else tuple(slices[r][0] for r in refs)

    def _reads(self, op: Operation, slot_of, cells) -> list[int]:
        """Slots a step reads: its data inputs, except single arguments served from a Cell."""
        refs = self._ref_positions(op)
        slices = _arg_slices(op)
        groups = [(k, None) for k in range(len(op._inputs))] if slices is None else slices
        out = []
        for a, b in groups:
            if b is None:
                if a not in refs and slot_of[op._inputs[a]] not in cells:
                    out.append(slot_of[op._inputs[a]])
            else:
                out.extend(slot_of[t] for t in op._inputs[a:b])
        return out

    def _data_inputs(self, op: Operation):
        """Inputs the op needs computed first: all but ref arguments bound to a variable, and
        those too when they come through a RefSwitch (which says whether the op runs)."""
        refs = self._ref_positions(op)
        return [t for k, t in enumerate(op._inputs)
                if k not in refs or t._op._opdef.type == "RefSwitch"]

    def _needed_ops(self, fed) -> set:
        plan = self.plan
        needed: set[Operation] = set()
        stack = [t.op for t in plan.fetches if t not in fed] + list(plan.targets)
        for t in plan.fetches:
            if t in self.outer_feeds and t not in fed:
                raise self._fed_inside(t)
        pruned: dict = {}  # loop -> how many of its Exits it was compiled for
        while True:
            while stack:
                op = stack.pop()
                if op._opdef.type in _FRAME_OPS:
                    op = self._frame_op(op, fed)
                    if op is None:
                        continue
                elif self.frame is not None and op._opdef.type == "Merge" and \
                        op._outputs[0] in fed:
                    continue  # a loop variable's value: a control edge on its Merge holds
                if op in needed or op in self.done:
                    continue
                needed.add(op)
                if type(op) is _Loop:
                    continue  # its inputs depend on which of its Exits are needed: below
                self._push_inputs(op, fed, stack)
            # A loop's step needs what its pruned plans read (see _Loop.prune); a loop whose
            # needed Exits grew since is compiled again, and can only need more.
            grown = [loop for loop in self._loops.values()
                     if loop in needed and pruned.get(loop) != len(loop.needed)]
            if not grown:
                return needed
            for loop in grown:
                pruned[loop] = len(loop.needed)
                loop.prune()
                self._push_inputs(loop, fed, stack)

    def _push_inputs(self, op, fed, stack):
        for t in self._data_inputs(op):
            if t not in fed:
                if t in self.outer_feeds:
                    raise self._fed_inside(t)
                stack.append(t._op)
        if op._opdef.type != "RefEnter":  # its control inputs are the loop step's
            # A fed Placeholder's control edges come from the feed (TF rewrites them so), e.g.
            # tf.metrics' control_dependencies([values]) on a float32 placeholder.
            stack.extend(c for c in op._control_inputs
                         if not (c._opdef.type == "Placeholder" and c._outputs[0] in fed))

    # -- while loops -----------------------------------------------------------------------------
    def _fed_inside(self, t: Tensor) -> InvalidArgumentError:
        return InvalidArgumentError(None, t.op, f"Tensor {t.name} may not be fed: it is inside "
                                    f"the while loop '{self.frame}', where it has a value per "
                                    "iteration")

    def _frame_op(self, op: Operation, fed):
        """What the pruning adds for an op of TF1's loop frames: for an Exit, its loop's step;
        for an Enter of the loop being compiled, nothing (its value becomes a feed); for a
        RefEnter of it, the op (a variable's Cell); anything else is inside a loop, which only
        the loop itself can run."""
        kind = op._opdef.type
        if kind == "Exit":
            return self._loop_of(op)
        if kind == "NextIteration" and self.frame is not None and \
                op._outputs[0] in self.plan.fetches:
            return op  # a body fetching its NextIterations: see _Loop._body_for
        if kind in ("Enter", "RefEnter") and op._attrs["frame_name"] == self.frame:
            self.plan._entered.setdefault(op, None)
            if kind == "RefEnter":
                return op
            out = op._outputs[0]
            if out not in fed:
                fed[out] = len(self.plan.feeds)
                self.plan.feeds += (out,)
            return None
        where = f"the while loop '{op._attrs['frame_name']}'" if kind in ("Enter", "RefEnter") \
            else "a while loop"
        raise InvalidArgumentError(
            None, op, f"Operation '{op.name}' ({kind}) is inside {where}: only the loop runs "
            "it. Fetch the loop's results (its Exit tensors) instead.")

    def _loop_of(self, exit_op: Operation) -> _Loop:
        t = _through_identities(exit_op._inputs[0])
        sw = t._op
        if sw._opdef.type not in ("Switch", "RefSwitch") or t._value_index != 0 or \
                sw._inputs[1]._op._opdef.type != "LoopCond":
            raise InvalidArgumentError(
                None, exit_op, f"Exit '{exit_op.name}' must take output 0 of a Switch on a "
                f"LoopCond (TF1's while loop), not {t.name} ({sw.type})")
        cond = sw._inputs[1]._op
        loop = self._loops.get(cond)
        if loop is None:
            loop = self._loops[cond] = _Loop(self, cond)
            for x in loop.exits:
                self._step_of[x] = loop
        loop.needed.add(exit_op)
        return loop

    def _is_pivot(self, op: Operation, fed) -> bool:
        """Inside a loop, the pivot a constant hangs on (a loop variable's Merge, or an Identity
        of its Switch, both fed): it is always there, so the constant still folds."""
        if self.frame is None:
            return False
        if op._opdef.type == "Merge":
            return op._outputs[0] in fed
        return op._opdef.type == "Identity" and op._inputs[0] in fed and not op._control_inputs

    def _src(self, op):
        """The step that makes ``op``'s outputs: its loop's for an Exit, else op itself."""
        return self._step_of.get(op, op)

    def _toposort(self, needed: set, fed) -> list:
        deps: dict[Operation, set] = {}
        users: dict[Operation, list] = {op: [] for op in needed}
        src = self._src
        for op in needed:
            d = {src(t._op) for t in self._data_inputs(op) if t not in fed}
            d.update(src(c) for c in op._control_inputs)
            d &= needed
            deps[op] = d
            for p in d:
                users[p].append(op)
        indeg = {op: len(d) for op, d in deps.items()}
        heap = [(op._id, op) for op, n in indeg.items() if n == 0]
        heapq.heapify(heap)
        order = []
        while heap:
            _, op = heapq.heappop(heap)
            order.append(op)
            for u in users[op]:
                indeg[u] -= 1
                if indeg[u] == 0:
                    heapq.heappush(heap, (u._id, u))
        if len(order) != len(needed):
            raise InvalidArgumentError(None, None, _describe_cycle(
                {op for op, n in indeg.items() if n > 0}, deps))
        return order

    @staticmethod
    def _maybe_dead(order, fed, src=lambda op: op) -> set:
        """The ops that may have a dead input (data or control) when the plan runs.

        Each op gets the condition under which it runs: a set of (predicate, branch) pairs
        that must all hold, from the Switches upstream (empty: it always runs). A Merge of the
        two branches of one predicate, which is what tf.cond builds, runs whenever what its
        inputs have in common holds, so the ops after a cond are not conditional at all; any
        other Merge gets a condition of its own that nothing satisfies statically."""
        cond: dict[Operation, frozenset] = {}
        none = frozenset()

        def of(t):  # the condition under which tensor t has a value
            if t in fed:
                return none
            base = cond.get(src(t._op), none)
            if t._op._opdef.dead == "makes":  # Switch output k: also needs pred == k
                return base | {(_predicate(t._op._inputs[1]), t._value_index)}
            return base

        for op in order:
            if op._opdef.type == "ControlTrigger":
                continue  # TF's executor runs it even when its inputs are dead
            ins = [of(t) for t in op._inputs] + [cond.get(src(c), none)
                                                  for c in op._control_inputs]
            if op._opdef.dead == "takes":
                c = _merged_condition(op, ins, of)
            else:
                c = none.union(*ins)
            if c:
                cond[op] = c
        return set(cond)

    # -- constant folding ------------------------------------------------------------------------
    def _try_fold(self, op, fed, slot_of, new_slot, const_slots) -> bool:
        opdef = op._opdef
        if opdef.stateful or opdef.resource or opdef.ref_args or not op._outputs or \
                opdef.dead or op in self._dead:
            return False
        if any(t in fed for t in op._outputs):
            return False
        if opdef.type != "Const" and opdef.kernel is not identity_kernel and any(
                (t.shape.num_elements() or 0) > FOLD_MAX_ELEMENTS or
                t.shape.num_elements() is None for t in op._outputs):
            # Large or unknown-size results are computed at run time: a small graph must not
            # make compilation allocate gigabytes (Fill/Tile of constants).
            return False
        values = []
        for t in op._inputs:
            i = slot_of.get(t)
            if i is None or i not in const_slots:
                return False
            values.append(self._const_values[i])
        if any(c not in self._folded_set and not self._is_pivot(c, fed)
               for c in op._control_inputs):
            return False
        try:
            outs = evaluate_kernel(op, values)
        except Exception:  # noqa: BLE001 - fails at run time too, where TF reports it
            return False
        for t, v in zip(op._outputs, outs):
            v = np.asarray(v) if not isinstance(v, np.ndarray) else v
            if v.flags.writeable:
                v = v.view()
                v.flags.writeable = False
            i = new_slot(v)
            slot_of[t] = i
            const_slots.add(i)
            self._const_values[i] = v
        self._folded_set.add(op)
        return True

    # -- binding ---------------------------------------------------------------------------------
    def _bind(self, op: Operation, slot_of, outs: tuple, free: tuple):
        """A closure running one op: reads input slots, calls the kernel, writes outputs."""
        opdef = op._opdef
        kernel = opdef.kernel
        kw = op._kernel_attrs
        refs = self._ref_positions(op)
        pre = []
        if opdef.resource == "variable":
            pre.append(self.resources.variable(op))
        elif opdef.resource == "rng":
            pre.append(self.resources.rng(op))
        elif opdef.resource == "name":
            pre.append(op.name)
        elif opdef.resource == "state":
            pre.append(self.resources.state(op))
        argspec = []  # per kernel argument: int slot, list of slots, or ("bound", object)
        slices = _arg_slices(op)
        groups = [(k, None) for k in range(len(op._inputs))] if slices is None else slices
        for a, b in groups:
            if b is None:
                if a in refs:
                    argspec.append(("bound", self._cell_for(op, op._inputs[a])))
                    continue
                slot = slot_of[op._inputs[a]]
                argspec.append(("cell", self._cells[slot]) if slot in self._cells else
                               ("deref", slot) if slot in self._ref_slots else slot)
            else:
                slots = [slot_of[t] for t in op._inputs[a:b]]
                argspec.append(("derefs", slots) if self._ref_slots.intersection(slots)
                               else slots)
        if refs and kw.get("use_locking"):
            # TF's use_locking: the update holds the variable's lock (numpy releases the GIL
            # inside large operations, so unlocked updates from two threads can interleave).
            kernel = _locked(kernel, self._cell_for(op, op._inputs[min(refs)]).lock)
        step = _make_step(kernel, pre, argspec, outs, kw, free)
        step.op = op
        return step

    def _cell_for(self, op, t: Tensor):
        src = t._op
        while src._opdef.type in ("RefSwitch", "RefEnter"):  # tf.cond's and loops' references
            src = src._inputs[0]._op
        if src._opdef.resource != "variable" or src._opdef.ref_args:
            raise InvalidArgumentError(None, op, f"Input {t.name} of {op.type} '{op.name}' must "
                                       "be a variable")
        return self.resources.variable(src)


class _LoopDef:
    """What the compiler reads of an op's declaration, for a loop's step."""

    type = "While"
    args = ref_args = ()
    stateful = True  # never folded
    resource = dead = None

    def __init__(self, kernel):
        self.kernel = kernel


class _Loop:
    """A tf.while_loop (one frame of TF1's control flow) run as one step of the plan around it.

    TF's executor runs a frame's ops as their inputs arrive, iteration after iteration. Here the
    inside of the frame compiles into two plans: the condition (the LoopCond, from the Merges'
    values) and the body (the NextIterations' inputs, from the Switches' values), and the step
    loops: run the condition, stop if it is false, else run the body and feed its results back
    in. The step's inputs are the values entering the frame (its Enter ops' inputs: the needed
    loop variables' initial values, then the values every iteration sees; see prune), its
    outputs the Exit tensors. A loop inside the body is a step of the body's plan, compiled
    the same way.
    Looks like an Operation to the compiler (the attributes below)."""

    def __init__(self, compiler: _Compiler, loop_cond: Operation):
        self._graph = graph = loop_cond._graph
        self._name = self.name = loop_cond.name.rpartition("/")[0] or loop_cond.name
        self.type = "While"
        switches = sorted({c for c in loop_cond._outputs[0]._consumers
                           if c._opdef.type in ("Switch", "RefSwitch")}, key=lambda o: o._id)
        merges, entries, nexts = [], [], []
        for sw in switches:
            m = sw._inputs[0]._op
            kinds = sorted(t._op._opdef.type for t in m._inputs)
            if m._opdef.type != "Merge" or kinds != ["Enter", "NextIteration"]:
                raise InvalidArgumentError(
                    None, sw, f"Switch '{sw.name}' on the loop condition {loop_cond.name} must "
                    "take a Merge of an Enter and a NextIteration (TF1's while loop), not "
                    f"'{m.name}' ({m.type} of {', '.join(kinds)})")
            merges.append(m)
            for t in m._inputs:
                (entries if t._op._opdef.type == "Enter" else nexts).append(t._op)
        frame = entries[0]._attrs["frame_name"]
        exits = sorted((c for sw in switches for c in _exits_of(sw._outputs[0])),
                       key=lambda o: o._id)
        self.exits = exits
        self.n = len(merges)
        self._exit_vars = [switches.index(_through_identities(x._inputs[0])._op) for x in exits]

        outer_feeds = compiler.outer_feeds | frozenset(compiler.plan.feeds)

        def inside(feeds, fetches, targets=()):
            return Plan.compile(graph, feeds, fetches, targets, compiler.resources,
                                compiler.fold, _frame=frame, _outer_feeds=outer_feeds)

        values = [m._outputs[0] for m in merges]
        pred = loop_cond._inputs[0]  # LoopCond only checks it is a scalar: if that is known,
        if pred.shape.rank != 0:  # the step tests the predicate itself
            pred = loop_cond._outputs[0]
        self._cond = inside(values, [pred])
        self._inside, self._merges, self._switches, self._nexts = inside, merges, switches, nexts
        self._entries = entries
        self._body_feeds = values + [sw._outputs[1] for sw in switches] + [loop_cond._outputs[0]]
        self.needed: set = set()  # the Exits the plan around uses (see prune)
        # Set by prune: the body plan, the variables it updates, the step's inputs.
        self._body = self._vars = self._updated = None
        self._inputs, self._control_inputs = (), []
        self._outputs = tuple(x._outputs[0] for x in exits)
        self._attrs = self._kernel_attrs = {}
        self._id = exits[0]._id
        self._opdef = _LoopDef(self._run)

    def _body_for(self, variables):
        """The body plan updating ``variables`` (indices). What their NextIterations wait for
        (TF's gradient puts its stack pushes there) runs in every iteration too. If that may
        be dead (an op in a cond branch), the body computes the NextIterations themselves,
        dead then as in TF (the variable gets no value); otherwise it skips those steps."""
        nexts = [self._nexts[k] for k in variables]
        controls = list(dict.fromkeys(c for x in nexts for c in x._control_inputs))
        body = self._inside(self._body_feeds, [x._inputs[0] for x in nexts], controls)
        if controls and body._dead_targets:
            body = self._inside(self._body_feeds, [x._outputs[0] for x in nexts])
        return body

    def prune(self):
        """Compiles the body for only the loop variables the plan's Exits need: those, what
        the condition reads, and what their updates read, transitively; the step then reads
        only what those need. A loop whose gradient was built also carries a counter whose
        update pushes every value the gradient needs: a plan that does not fetch the
        gradient skips all of that."""
        var_of = {}
        for k, (m, sw) in enumerate(zip(self._merges, self._switches)):
            var_of[m._outputs[0]] = var_of[sw._outputs[1]] = k
        needed = {self._exit_vars[self.exits.index(x)] for x in self.needed}
        needed |= {var_of[t] for t in self._cond._used_feeds if t in var_of}
        while True:
            body = self._body_for(sorted(needed))
            more = {var_of[t] for t in body._used_feeds if t in var_of} - needed
            if not more:
                break
            needed |= more
        n = self.n
        self._body = body
        self._vars = sorted(needed)
        self._updated = None if len(needed) == n else self._vars
        entered = list(dict.fromkeys([*self._cond._entered, *body._entered]))
        fed = [e for e in entered if e._opdef.type == "Enter"]
        self._cond_idx = [fed.index(t._op) for t in self._cond.feeds[n:]]
        self._body_idx = [fed.index(t._op) for t in body.feeds[2 * n + 1:]]
        entries = [self._entries[k] for k in self._vars]
        self._inputs = tuple(e._inputs[0] for e in entries + fed)
        self._control_inputs = list(dict.fromkeys(
            c for e in entries + entered for c in e._control_inputs))

    def _run(self, *values):
        n, m = self.n, len(self._vars)
        if m == n:
            state = list(values[:n])
        else:  # a variable no Exit needs is not computed at all
            state = [None] * n
            for k, v in zip(self._vars, values):
                state[k] = v
        entered = values[m:]
        cond_in = [entered[i] for i in self._cond_idx]
        body_in = [np.True_] + [entered[i] for i in self._body_idx]
        cond, body, updated = self._cond._run_inside, self._body._run_inside, self._updated
        while cond(state + cond_in)[0]:
            if updated is None:
                state = body(state + state + body_in)
            else:
                for k, v in zip(updated, body(state + state + body_in)):
                    state[k] = v
            if any(v is DEAD for v in state):
                raise InvalidArgumentError(
                    None, None, f"The body of while loop '{self.name}' gave no value for loop "
                    f"variable {[v is DEAD for v in state].index(True)}: its NextIteration "
                    "(its input or a control input) is on a branch that was not taken")
        if len(self._exit_vars) == 1:
            return state[self._exit_vars[0]]
        return tuple(state[k] for k in self._exit_vars)

    def __repr__(self):
        return f"<while loop '{self.name}'>"


def _through_identities(t: Tensor) -> Tensor:
    """The tensor an Identity chain passes on. TF's gradient loops gate a loop variable's
    gradient (``tuple/control_dependency``) between its Switch and its Exit; the Exit still
    takes the variable's last value (the gate's control edges only order the Switch)."""
    while t._op._opdef.type == "Identity":
        t = t._op._inputs[0]
    return t


def _exits_of(t: Tensor) -> list:
    """The Exits taking ``t``, directly or through Identities."""
    out = []
    for c in t._consumers:
        if c._opdef.type == "Exit":
            out.append(c)
        elif c._opdef.type == "Identity":
            out.extend(_exits_of(c._outputs[0]))
    return out


def _predicate(t: Tensor) -> Tensor:
    """A Switch's predicate, through plain Identities (tf.cond's pred_id is one) to its
    source, so the switches of one cond agree on it."""
    while t._op._opdef.kernel is identity_kernel and t._op._inputs and \
            not t._op._control_inputs and t._op._opdef.dead is None:
        t = t._op._inputs[0]
    return t


def _merged_condition(op, ins, of) -> frozenset:
    """A Merge's condition: what its two inputs share when they differ only in the branch of
    one predicate that is itself live under what they share (tf.cond's Merge); otherwise one
    of its own (TF's executor still runs it when any input is live)."""
    if not any(ins):
        return frozenset()
    if len(ins) == 2 and not op._control_inputs:
        a, b = ins
        only_a, only_b = a - b, b - a
        if len(only_a) == 1 and len(only_b) == 1:
            (pa, ka), (pb, kb) = next(iter(only_a)), next(iter(only_b))
            common = a & b
            if pa is pb and ka != kb and of(pa) <= common:
                return common
    return frozenset({("merge", op)})


def _unless_dead(step, reads: tuple, outs: tuple, free: tuple, ran: int | None):
    """``step`` for an op that may have a dead input: if one is, the op does not run and its
    outputs (and its ``ran`` slot, if it has one) are dead, TF1's dead-tensor propagation;
    else it runs as usual."""
    def guarded(s):
        for r in reads:
            if s[r] is DEAD:
                for o in outs:
                    s[o] = DEAD
                for f in free:
                    s[f] = None
                if ran is not None:
                    s[ran] = DEAD
                return
        step(s)
        if ran is not None:
            s[ran] = True
    guarded.op = step.op
    return guarded


def _deref(v):
    """A slot's value: a RefSwitch's Cell read, anything else (DEAD too) as it is."""
    return v.get() if type(v) is Cell else v


def _locked(kernel, lock):
    def locked(*args, **kwargs):
        with lock:
            return kernel(*args, **kwargs)
    return locked


def _describe_cycle(remaining: set, deps: dict) -> str:
    start = min(remaining, key=lambda o: o._id)
    path, seen, op = [], set(), start
    while op not in seen:
        seen.add(op)
        path.append(op)
        op = min((d for d in deps[op] if d in remaining), key=lambda o: o._id)
    cycle = path[path.index(op):]
    names = " -> ".join(o.name for o in reversed(cycle))
    return (f"Graph has a cycle: {names} -> {cycle[-1].name}. Operation '{op.name}' ({op.type}) "
            "is on the cycle.")


def _make_step(kernel, pre, argspec, outs, kw, free):
    """A closure running one step: ``s`` is the run's slot list.

    Attrs, resources and leading bound arguments (variable cells) are bound once with
    functools.partial (no per-call dict unpacking). Steps whose arguments are all slots get a
    straight-line closure generated for their shape (number of inputs, outputs and slots to
    free); anything else (list arguments) the general one.
    """
    pre = list(pre)
    argspec = list(argspec)
    while argspec and isinstance(argspec[0], tuple) and argspec[0][0] == "bound":
        pre.append(argspec.pop(0)[1])  # leading bound args (the cells updates write to)
    fn = functools.partial(kernel, *pre, **kw) if (pre or kw) else kernel
    kinds = tuple("s" if isinstance(a, int) else "c" if isinstance(a, tuple) and
                  a[0] == "cell" else "r" if isinstance(a, tuple) and a[0] == "deref" else "x"
                  for a in argspec)
    if "x" not in kinds and len(argspec) <= 4 and len(free) <= 4 and 1 <= len(outs) <= 2:
        values = [a if isinstance(a, int) else a[1] for a in argspec]
        return _step_factory(kinds, len(outs), len(free))(fn, *values, *outs, *free)
    getters = []
    for a in argspec:
        if isinstance(a, int):
            getters.append((0, a))
        elif isinstance(a, list):
            getters.append((1, tuple(a)))
        elif a[0] == "cell":
            getters.append((3, a[1]))
        elif a[0] == "deref":
            getters.append((4, a[1]))
        elif a[0] == "derefs":
            getters.append((5, tuple(a[1])))
        else:
            getters.append((2, a[1]))
    single = len(outs) == 1
    o = outs[0] if single else None

    def step(s):
        args = []
        for kind, x in getters:
            if kind == 0:
                args.append(s[x])
            elif kind == 1:
                args.append([s[i] for i in x])
            elif kind == 3:
                args.append(x.get())
            elif kind == 4:
                args.append(s[x].get())
            elif kind == 5:
                args.append([_deref(s[i]) for i in x])
            else:
                args.append(x)
        r = fn(*args)
        if single:
            s[o] = r
        else:
            for i, v in zip(outs, r):
                s[i] = v
        for i in free:
            s[i] = None
    return step


# Hot kernels are numpy ufuncs called straight from the generated steps, so numpy's float
# warnings (inf - inf, overflow) are raised in those steps' frames. Their inf and nan results
# are TensorFlow's too, so the warnings are noise: the steps get a module name of their own,
# silenced once (as core/ops/_math_util.py does for the kernels' modules).
_STEPS_MODULE = "minitf.plan_steps"
warnings.filterwarnings("ignore", category=RuntimeWarning, module=_STEPS_MODULE + "$")


@functools.cache
def _step_factory(kinds: tuple, n_outs: int, n_free: int):
    """Generates (once per shape) a maker of straight-line step closures. ``kinds`` says per
    argument "s" (a slot), "c" (a variable Cell, read when the step runs) or "r" (a slot
    holding a RefSwitch's Cell, read likewise); e.g. ("s", "c"), 1 output, 1 freed slot:
    ``def step(s): s[o0] = fn(s[a0], a1.get()); s[f0] = None``."""
    a = [f"a{i}" for i in range(len(kinds))]
    o = [f"o{i}" for i in range(n_outs)]
    f = [f"f{i}" for i in range(n_free)]
    args = ", ".join(f"s[{x}]" if k == "s" else f"{x}.get()" if k == "c" else f"s[{x}].get()"
                     for x, k in zip(a, kinds))
    lines = [f"def make(fn, {', '.join(a + o + f)}):",
             "    def step(s):",
             f"        {', '.join(f's[{x}]' for x in o)} = fn({args})"]
    lines += [f"        s[{x}] = None" for x in f]
    lines += ["    return step"]
    namespace: dict = {"__name__": _STEPS_MODULE}
    exec("\n".join(lines), namespace)  # source built above from fixed templates
    return namespace["make"]
