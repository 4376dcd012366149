"""The compiler behind ``Plan.compile`` (core/plan.py): from a graph and (feeds, fetches,
targets) to the plan's prepared steps.

``_Compiler.build`` prunes to what the fetches and targets need (stopping at fed tensors),
orders the ops topologically (rejecting cycles), works out which ops may see a dead value,
folds stateless constant subgraphs, aliases pure forwarding ops (Identity) to their input,
binds each kernel with its attrs and resources (core/plan_codegen.py makes the closures),
gives every tensor an integer slot and frees each slot after its last use. While loops are
found here and run as one step each (core/plan_control_flow.py).
"""

from __future__ import annotations

from collections import deque
from operator import attrgetter
from typing import TYPE_CHECKING

import numpy as np

from .apply_op import _forwards_ref, _variable_source, is_variable_op
from .errors import InvalidArgumentError
from .graph import Operation, Tensor, _arg_slices, evaluate_kernel
from .opdef import identity_kernel
from .plan_codegen import _locked, _make_step, _unless_dead
from .plan_control_flow import (_FRAME_OPS, _Loop, _merged_condition, _predicate,
                                _through_identities)
from .plan_resources import Cell

if TYPE_CHECKING:
    from .plan import Plan

# Constant folding evaluates ops whose results have at most this many elements.
FOLD_MAX_ELEMENTS = 1 << 22


_op_id = attrgetter("_id")


class _Compiler:
    def __init__(self, plan: Plan, resources, fold: bool, frame: str | None = None,
                 outer_feeds: frozenset = frozenset(), done: frozenset = frozenset(),
                 dead_feeds: frozenset = frozenset()):
        self.plan = plan
        self.dead_feeds = dead_feeds
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
        self._dead = dead = self._maybe_dead(order, fed, self._src, self.dead_feeds)
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
                raise InvalidArgumentError(None, None, f"Fetch {t.name} cannot be computed")
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
        guards = []  # per step: the slots whose deadness skips it (if it may see one)
        for op in todo:
            r = self._reads(op, slot_of, cells)
            control = []
            if op in dead:
                control = [ran[step_of(c)] for c in op._control_inputs if step_of(c) in dead]
                # A variable reached through a RefSwitch (a ref argument, bound to its Cell):
                # its slot says whether that branch runs; through an update, whether it ran.
                control += [slot_of[op._inputs[i]] for i in self._ref_positions(op)
                            if slot_of.get(op._inputs[i]) in ref_slots or (
                                op._inputs[i] in slot_of and _forwards_ref(op._inputs[i]._op))]
            reads.append(r + control)
            slot_reads.update(r + control)
            # A loop: only a dead loop variable skips it; a dead value every iteration sees
            # is dead inside the frame only, as in TF's executor (see _Loop._run).
            guards.append((r if type(op) is not _Loop else [
                slot_of[t] for t in op._inputs[:op.entry_count]
                if slot_of[t] not in cells]) + control)
        kept = [k for k, op in enumerate(todo)
                if not (out_slots[k] and out_slots[k][0] in cells and
                        out_slots[k][0] not in slot_reads)]
        todo = [todo[k] for k in kept]
        out_slots = [out_slots[k] for k in kept]
        reads = [reads[k] for k in kept]
        guards = [guards[k] for k in kept]
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
                plan._steps[k] = _unless_dead(plan._steps[k], tuple(guards[k]), out_slots[k],
                                              tuple(frees[k]), token_of.get(op))
        plan._conditional = any(op._opdef.dead for op in order)  # DEAD may reach a fetch
        plan._initial = initial
        plan._feed_slots = tuple(feed_slots)
        plan._fetch_slots = tuple(fetch_slots)
        plan._copy_if_readonly = tuple(
            k for k, t in enumerate(plan.fetches) if t not in fed)
        plan._intermediate_slots = tuple(sorted({i for outs in out_slots for i in outs} - keep))
        plan._folded = folded
        # What a traced run (core/plan_trace.py) reads; nothing on the normal run path does.
        plan._folded_slots = tuple(tuple(slot_of[t] for t in op._outputs) for op in folded)
        plan._order = order
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
        those too when they come through a RefSwitch (which says whether the op runs) or are
        an update's result (the update runs first, as TF's data edge orders it)."""
        refs = self._ref_positions(op)
        return [t for k, t in enumerate(op._inputs)
                if k not in refs or t._op._opdef.type == "RefSwitch" or _forwards_ref(t._op)]

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
        return InvalidArgumentError(None, None, f"Tensor {t.name} may not be fed: it is inside "
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
        # TF's executor runs cheap ops in the order they become ready (a FIFO), not in the
        # order they were made: a read of a variable that is ready before an assign is (no
        # dependency between them) sees the old value, as spectral-norm GANs expect.
        indeg = {op: len(d) for op, d in deps.items()}
        ready = deque(sorted((op for op, n in indeg.items() if n == 0), key=_op_id))
        order = []
        while ready:
            op = ready.popleft()
            order.append(op)
            for u in sorted(users[op], key=_op_id):
                indeg[u] -= 1
                if indeg[u] == 0:
                    ready.append(u)
        if len(order) != len(needed):
            raise InvalidArgumentError(None, None, _describe_cycle(
                {op for op, n in indeg.items() if n > 0}, deps))
        return order

    @staticmethod
    def _maybe_dead(order, fed, src=lambda op: op, dead_feeds=frozenset()) -> set:
        """The ops that may have a dead input (data or control) when the plan runs.

        Each op gets the condition under which it runs: a set of (predicate, branch) pairs
        that must all hold, from the Switches upstream (empty: it always runs). A Merge of the
        two branches of one predicate, which is what tf.cond builds, runs whenever what its
        inputs have in common holds, so the ops after a cond are not conditional at all; any
        other Merge gets a condition of its own that nothing satisfies statically, as does a
        feed in ``dead_feeds`` and a loop a value entering it may be dead for (its condition
        may read that value; otherwise, see _Loop._run, it is live when its loop variables
        are)."""
        cond: dict[Operation, frozenset] = {}
        none = frozenset()

        def of(t):  # the condition under which tensor t has a value
            if t in fed:
                return frozenset({("fed", t)}) if t in dead_feeds else none
            base = cond.get(src(t._op), none)
            if t._op._opdef.dead == "makes":  # Switch output k: also needs pred == k
                return base | {(_predicate(t._op._inputs[1]), t._value_index)}
            return base

        for op in order:
            if op._opdef.type == "ControlTrigger":
                continue  # TF's executor runs it even when its inputs are dead
            ins = [of(t) for t in op._inputs] + [cond.get(src(c), none)
                                                  for c in op._control_inputs]
            if type(op) is _Loop:
                k, n = op.entry_count, len(op._inputs)
                ins = ins[:k] + ins[n:] + [frozenset({("loop", op)}) if any(ins[k:n]) else none]
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
        outs = _folded_outputs(op, values)
        if outs is None:
            return False
        for t, v in zip(op._outputs, outs):
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
        step.bound = (kernel, pre, argspec, outs, kw, free)  # to rebuild it traced (plan_trace)
        return step

    def _cell_for(self, op, t: Tensor):
        src = _variable_source(t)  # through tf.cond's and loops' references and updates
        if not is_variable_op(src):
            raise InvalidArgumentError(None, op, f"Input {t.name} of {op.type} '{op.name}' must "
                                       "be a variable")
        return self.resources.variable(src)


def _folded_outputs(op: Operation, values: list):
    """The op's outputs computed from constant ``values``, as read-only arrays; None if the
    kernel fails (it fails at run time too, where TF reports it).

    Every plan of a graph folds an op to the same value, so the graph keeps one copy for all
    of them (a server compiles a plan per output subset, a Session one per fetch set): the
    arrays are shared, hence read-only, which kernels already respect (they never write into
    their inputs: a fetched one is copied, see Plan.run). The entry is reused only while the
    op's inputs are the very same arrays and its kernel attrs the same objects, so a rewired
    input (_update_input) or a changed attr (_set_attr) computes afresh. The cache is an
    attribute of the Graph (not a global), keyed by the op: it dies with the graph. It holds
    only what some plan folded, so at most the graph's foldable results, each once.
    """
    graph = getattr(op, "_graph", None)  # (a while loop's step has none; it never folds)
    cache = None if graph is None else graph.__dict__.setdefault(_FOLD_CACHE, {})
    attrs = tuple(op._kernel_attrs.values())
    hit = None if cache is None else cache.get(op)
    if hit is not None and _same(hit[0], attrs) and _same(hit[1], values):
        return hit[2]
    try:
        outs = evaluate_kernel(op, values)
    except Exception:  # noqa: BLE001 - fails at run time too, where TF reports it
        return None
    frozen = []
    for v in outs:
        v = np.asarray(v) if not isinstance(v, np.ndarray) else v
        if v.flags.writeable:
            v = v.view()
            v.flags.writeable = False
        frozen.append(v)
    frozen = tuple(frozen)
    if cache is not None:
        cache[op] = (attrs, tuple(values), frozen)
    return frozen


_FOLD_CACHE = "_minitf_folded_values"  # Graph attribute: Operation -> (attrs, inputs, outputs)


def _same(a: tuple, b) -> bool:
    return len(a) == len(b) and all(x is y for x, y in zip(a, b))


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
