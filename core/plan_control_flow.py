"""TF1's control flow in the executor: a while loop's frame run as one step (``_Loop``), and
the helpers the compiler's dead-value analysis (``_Compiler._maybe_dead``) uses for conds'
Switch and Merge ops (``_predicate``, ``_merged_condition``; core/control_flow_grad.py reads
them too).

Apart from the compiler (core/plan_compile.py), which finds the loops while pruning and binds
each as a step; a loop compiles its condition and body as plans of their own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .errors import InvalidArgumentError
from .graph import Operation, Tensor
from .opdef import DEAD, identity_kernel

if TYPE_CHECKING:
    from .plan_compile import _Compiler

# TF1's loop frame ops the pruning treats specially (see _Compiler._frame_op).
_FRAME_OPS = frozenset({"Exit", "Enter", "RefEnter", "NextIteration"})


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
        from .plan import Plan  # here, not at the top: core/plan.py imports this module

        def inside(feeds, fetches, targets=(), dead=frozenset()):
            return Plan.compile(graph, feeds, fetches, targets, compiler.resources,
                                compiler.fold, _frame=frame, _outer_feeds=outer_feeds,
                                _dead_feeds=dead)

        values = [m._outputs[0] for m in merges]
        pred = loop_cond._inputs[0]  # LoopCond only checks it is a scalar: if that is known,
        if pred.shape.rank != 0:  # the step tests the predicate itself
            pred = loop_cond._outputs[0]
        self._cond = inside(values, [pred])
        self._inside, self._merges, self._switches, self._nexts = inside, merges, switches, nexts
        self._entries = entries
        self._body_feeds = values + [sw._outputs[1] for sw in switches] + [loop_cond._outputs[0]]
        self.needed: set = set()  # the Exits the plan around uses (see prune)
        # Set by prune: the body plan, the variables it updates, the step's inputs (the
        # first entry_count the needed variables' initial values, then the values entering
        # the frame, ``_fed``'s inputs).
        self._body = self._vars = self._updated = None
        self._inputs, self._control_inputs = (), []
        self.entry_count, self._fed = 0, []
        self._variants: dict = {}  # the plans for values entering dead, see _run
        self._outputs = tuple(x._outputs[0] for x in exits)
        self._attrs = self._kernel_attrs = {}
        self._id = exits[0]._id
        self._opdef = _LoopDef(self._run)

    def _body_for(self, variables, dead=frozenset()):
        """The body plan updating ``variables`` (indices). What their NextIterations wait for
        (TF's gradient puts its stack pushes there) runs in every iteration too. If that may
        be dead (an op in a cond branch), the body computes the NextIterations themselves,
        dead then as in TF (the variable gets no value); otherwise it skips those steps."""
        nexts = [self._nexts[k] for k in variables]
        controls = list(dict.fromkeys(c for x in nexts for c in x._control_inputs))
        body = self._inside(self._body_feeds, [x._inputs[0] for x in nexts], controls, dead)
        if controls and body._dead_targets:
            body = self._inside(self._body_feeds, [x._outputs[0] for x in nexts], (), dead)
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
        self.entry_count, self._fed, self._variants = len(entries), fed, {}
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
        cond_plan, body_plan, cond_idx, body_idx = self._cond, self._body, self._cond_idx, \
            self._body_idx
        dead = frozenset(i for i, v in enumerate(entered) if v is DEAD)
        if dead:
            cond_plan, body_plan, cond_idx, body_idx = self._variant(dead)
        cond_in = [entered[i] for i in cond_idx]
        body_in = [np.True_] + [entered[i] for i in body_idx]
        cond, body, updated = cond_plan._run_inside, body_plan._run_inside, self._updated
        while True:
            go = cond(state + cond_in)[0]
            if go is DEAD:  # read a dead value: the LoopCond is dead, and so every Exit (TF)
                return DEAD if len(self._exit_vars) == 1 else (DEAD,) * len(self._exit_vars)
            if not go:
                break
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

    def _variant(self, dead: frozenset):
        """(condition plan, body plan, their indices into the entered values) for a run in
        which the values entering at ``dead`` (indices into ``_fed``) are dead: TF's executor
        passes a dead Enter's value into every iteration, dead, so only the ops reading it
        are skipped, and a Merge (a cond's gradient taken in a loop body, whose untaken
        branch enters dead) still takes its live input. Compiled on first use."""
        found = self._variants.get(dead)
        if found is None:
            feeds = frozenset(self._fed[i]._outputs[0] for i in dead)
            n = self.n
            cond = self._inside(self._cond.feeds[:n], self._cond.fetches, (), feeds)
            body = self._body_for(self._vars, feeds)
            found = self._variants[dead] = (
                cond, body, [self._fed.index(t._op) for t in cond.feeds[n:]],
                [self._fed.index(t._op) for t in body.feeds[2 * n + 1:]])
        return found

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
    """A Switch's predicate, through Identities (tf.cond's pred_id is one) to its source, so
    the switches of one cond agree on it. Also through an Identity whose control inputs are
    all pivots (in a loop body pred_id waits on the loop's pivot, and its branches' Switches
    disagreed with the cond's Switch of the predicate itself): its value is its input's, and
    when it may be dead, a Switch reading it has that in its own condition already. Not
    through other control inputs: those order the cond after them (an initializer, say)."""
    while t._op._opdef.kernel is identity_kernel and t._op._inputs and \
            t._op._opdef.dead is None and all(map(_is_pivot, t._op._control_inputs)):
        t = t._op._inputs[0]
    return t


def _is_pivot(op) -> bool:
    """Whether ``op`` is a branch's or a loop body's pivot: an Identity of a Switch's output."""
    return op._opdef.kernel is identity_kernel and bool(op._inputs) and \
        op._inputs[0]._op._opdef.type in ("Switch", "RefSwitch")


def _merged_condition(op, ins, of) -> frozenset:
    """A Merge's condition: what its two inputs share when they differ only in the branch of
    one predicate that is itself live under what they share (tf.cond's Merge); otherwise one
    of its own (TF's executor still runs it when any input is live).

    A condition's pairs are (predicate Tensor, branch) or a tag of what no predicate decides:
    ("merge", op), ("fed", tensor), ("loop", op). Two tags of one kind name different
    sources, not two branches of one predicate (a Merge of two values that may be dead on
    their own account, say two dead feeds of a loop body, gets a condition of its own)."""
    if not any(ins):
        return frozenset()
    if len(ins) == 2 and not op._control_inputs:
        a, b = ins
        only_a, only_b = a - b, b - a
        if len(only_a) == 1 and len(only_b) == 1:
            (pa, ka), (pb, kb) = next(iter(only_a)), next(iter(only_b))
            common = a & b
            if isinstance(pa, Tensor) and pa is pb and ka != kb and of(pa) <= common:
                return common
    return frozenset({("merge", op)})
