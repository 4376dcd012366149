"""``tf.cond`` as TF1 builds it: each branch is ordinary graph ops behind Switch ops on ``pred``,
and a Merge per output forwards the branch that ran. The branch not taken never runs (its
values are dead, see core/plan.py), so side effects in it (assign, Print, Assert) happen only
when it is taken, and gradients flow back through the taken branch only.

While a branch function runs, its ``CondContext`` is the graph's current one: ``apply_op`` hands
it each new op's inputs, and it replaces every tensor made outside the branch by that tensor
routed through a Switch (made once per tensor and branch), and gives an op with no data inputs
a control input on the branch's pivot, as TF1's CondContext does. A variable goes through a
RefSwitch (read only if the branch runs); one an op updates (a ref input) is not switched at
all: the update's value input is, which is enough to hold the update back.
As in TF1, the ops of a branch cannot be fetched; the cond's results can.

tf.while_loop is core/control_flow_while.py and the plumbing both constructs share
core/control_flow_util.py (split to keep each module readable in one sitting); their names are
re-exported here, where the rest of minitf imports them from.
"""

from __future__ import annotations

import collections

from .graph import (Operation, Tensor, _is_variable_output, convert_to_tensor,
                    get_default_graph, name_scope)
from .nest import assert_same_structure
from .nest_util import describe, flatten, pack, structure
from .ops.array_ops import identity
from .ops.tensor_array_ops import TensorArray
from .ops.control_flow_ops import MERGE, REF_SWITCH, SWITCH
from .control_flow_util import (_as_loop_tensor, _outside, _register,  # noqa: F401
                                _with_arrays)
from .control_flow_while import (WhileContext, _check_returns, _enclosing_loop,  # noqa: F401
                                 _flat_invariants, _mismatch, _shape_less_than_or_equal,
                                 _signature, _sparse_rank, check_loop_inputs, while_loop)

__all__ = ["case", "cond", "while_loop"]


class CondContext:
    """One branch of a tf.cond under construction."""

    def __init__(self, graph, pred: Tensor, pivot: Tensor, branch: int, outer):
        self.graph = graph
        self.pred = pred  # the boolean each Switch tests
        self.pivot = pivot  # live exactly when this branch is taken
        self.branch = branch  # 1: true branch (a Switch's output 1), 0: false branch
        self.outer = outer  # the enclosing branch of a nested cond, or None
        self.values: set = {pred, pivot}  # tensors usable here as they are
        self.external: dict = {}  # an outside tensor -> its Switch output for this branch

    def add_value(self, t: Tensor) -> Tensor:
        """``t`` as seen inside this branch: itself if made here, else through a Switch."""
        if t in self.values:
            return self.external.get(t, t)
        self.values.add(t)
        source = t if self.outer is None else self.outer.add_value(t)
        switch = REF_SWITCH if _is_variable_output(source) else SWITCH  # a variable: by reference
        with _outside(self):
            switched = switch(source, self.pred)[self.branch]
        self.made(switched.op)  # this branch's op, and so also the outer branches'
        self.external[t] = switched
        return switched

    def enter_inputs(self, opdef, args, flat: list, control_inputs):
        """The inputs (and control inputs) of an op being made in this branch."""
        refs = set()
        pos = 0
        for spec, a in zip(opdef.args, args):
            if spec.is_ref:
                refs.add(pos)  # a variable an update writes: bound to its storage, not switched
            pos += len(a) if spec.number_attr or spec.type_list_attr else 1
        loop = _enclosing_loop(self)
        flat = [(t if loop is None else loop.add_value(t)) if k in refs else self.add_value(t)
                for k, t in enumerate(flat)]  # a variable a loop updates enters it (RefEnter)
        if len(refs) == len(flat):  # no data inputs: the pivot makes it part of the branch
            control_inputs = (*control_inputs, self.pivot.op)
        return flat, control_inputs

    def made(self, op: Operation):
        _register(self, op)

    def _contains(self, op: Operation):
        self.values.update(op.outputs)

    def build(self, fn, what: str):
        """Runs a branch function in this context; returns (its result, the flat tensors)."""
        graph = self.graph
        saved, graph._control_flow_context = graph._control_flow_context, self
        try:
            result = fn()
            if result is None:
                raise ValueError(f"'{what}' must have a return value.")
            leaves = [self._output(v) for v in flatten(result)]
        finally:
            graph._control_flow_context = saved
        return result, leaves

    def _output(self, v) -> Tensor:
        if isinstance(v, Operation):  # an op: the pivot, once the op has run
            with self.graph.control_dependencies([v]):
                return identity(self.pivot)
        return self.add_value(_as_loop_tensor(v))  # an array: its flow, merged as TF1's



def cond(pred, true_fn=None, false_fn=None, strict=False, name=None, fn1=None, fn2=None):
    """``true_fn()`` if ``pred`` else ``false_fn()``, decided when the graph runs: TF1's
    ``tf.cond``. Both functions are called once, now, to build their branches; they must
    return the same structure of tensors with the same dtypes. Without ``strict``, a result
    that is a one-element list or tuple comes back as its element."""
    if fn1 is not None:
        if true_fn is not None:
            raise TypeError("cond(): 'true_fn' and 'fn1' may not be set simultaneously.")
        true_fn = fn1
    if fn2 is not None:
        if false_fn is not None:
            raise TypeError("cond(): 'false_fn' and 'fn2' may not be set simultaneously.")
        false_fn = fn2
    if true_fn is None:
        raise TypeError("cond(): 'true_fn' argument required")
    if false_fn is None:
        raise TypeError("cond(): 'false_fn' argument required")
    if not callable(true_fn):
        raise TypeError("'true_fn' must be callable.")
    if not callable(false_fn):
        raise TypeError("'false_fn' must be callable.")
    if isinstance(pred, bool):
        raise TypeError("'pred' must not be a Python bool.")
    graph = pred.graph if isinstance(pred, Tensor) else get_default_graph()
    with graph.as_default(), name_scope(name, "cond", [pred]):
        pred = convert_to_tensor(pred)
        outer = graph._control_flow_context  # a nested cond: these ops belong to the outer branch
        p_false, p_true = SWITCH(pred, pred)
        pivot_true = identity(p_true, name="switch_t")
        pivot_false = identity(p_false, name="switch_f")
        pred = identity(pred, name="pred_id")
        for t in (p_false, p_true, pivot_true, pivot_false, pred):
            graph.prevent_fetching(t.op)  # live on one branch only (pred_id: as in TF1)
        res_t, flat_t = CondContext(graph, pred, pivot_true, 1, outer).build(true_fn, "true_fn")
        res_f, flat_f = CondContext(graph, pred, pivot_false, 0, outer).build(false_fn,
                                                                              "false_fn")
        if not strict:
            res_t, res_f = _unpack_singleton(res_t), _unpack_singleton(res_f)
        if structure(res_t) != structure(res_f):
            same_nesting = structure(res_t, types=False) == structure(res_f, types=False)
            error = TypeError if same_nesting else ValueError
            # TF1's words: its wrapper around nest.assert_same_structure's message
            detail = f"Incompatible return {'types' if same_nesting else 'values'} of true_fn " \
                     "and false_fn"
            try:
                assert_same_structure(res_t, res_f, expand_composites=True)
            except (TypeError, ValueError) as e:
                raise error(f"{detail}: {e}") from None
            raise error(f"{detail}: they do not have the same nested structure "
                        f"({describe(res_t)} and {describe(res_f)})")
        if not flat_t:
            raise ValueError("'true_fn' and 'false_fn' must return at least one result.")
        leaves_t = flatten(res_t)
        for k, (a, b) in enumerate(zip(leaves_t, flatten(res_f))):
            if isinstance(a, TensorArray) != isinstance(b, TensorArray):
                raise TypeError(f"Output {k} of 'true_fn' is a {type(a).__name__}, but the one "
                                f"of 'false_fn' is a {type(b).__name__}")
        for t, f in zip(flat_t, flat_f):
            if t.dtype.base_dtype != f.dtype.base_dtype:
                raise ValueError("Outputs of 'true_fn' and 'false_fn' must have the same "
                                 f"type(s). Received {t.dtype.name} from 'true_fn' and "
                                 f"{f.dtype.name} from 'false_fn'.")
        merged = [MERGE([f, t])[0] for f, t in zip(flat_f, flat_t)]
        result = pack(res_t, _with_arrays(leaves_t, merged))  # an array: true_fn's, merged flow
        return result if strict else _unpack_singleton(result)  # TF1 unpacks again: [[t]] -> t


def case(pred_fn_pairs, default=None, exclusive=False, strict=False, name="case"):
    """TF1's ``tf.case``: the result of the first pair whose predicate is true, else of
    ``default``, as nested tf.cond. Without ``default`` the last pair's function is the
    default, and the run fails (InvalidArgumentError) if no predicate is true; with
    ``exclusive``, if more than one is."""
    from .ops.logging_ops import Assert

    pairs = _case_pairs(pred_fn_pairs, exclusive, name)
    if default is not None and not callable(default):
        raise TypeError("'default' must be callable.")
    with name_scope(name, "case"):
        predicates = [p for p, _ in pairs]
        if default is None:
            *pairs, (last_pred, last_fn) = pairs
            others = [p for p, _ in pairs]
            all_predicates, predicates = predicates, others  # TF1 checks exclusivity on these

            def default():
                checks = [Assert(last_pred, ["Input error: None of conditions evaluated as "
                                             "True:", _stacked(all_predicates)],
                                 summarize=len(all_predicates))]
                if others:
                    checks.append(_at_most_true(others, 0, "Implementation error: selected "
                                                f"default action #{len(others)} was called, "
                                                "but some of other predicates are True"))
                with get_default_graph().control_dependencies(checks):
                    return last_fn()

        fn = default
        for pred, action in reversed(pairs):
            fn = _bind_cond(pred, action, fn, strict)
        if exclusive and predicates:
            with get_default_graph().control_dependencies(
                    [_at_most_true(predicates, 1, "Input error: exclusive=True")]):
                return fn()
        return fn()


def _bind_cond(pred, true_fn, false_fn, strict):
    return lambda: cond(pred, true_fn, false_fn, strict=strict)


def _stacked(predicates):
    from .ops.concat_split_ops import stack

    return stack(predicates, name="preds_c")


def _at_most_true(predicates, n: int, message: str):
    from .ops.logging_ops import Assert
    from .ops.logic_ops import less_equal
    from .ops.math_ops import cast
    from .ops.reduction_ops import reduce_sum

    stacked = _stacked(predicates)
    count = reduce_sum(cast(stacked, "int32"), name="num_true_conds")
    names = ", ".join(p.name for p in predicates)
    return Assert(less_equal(count, n), [f"{message}: more than {n} conditions ({names}) "
                                         "evaluated as True:", stacked],
                  summarize=len(predicates))


def _case_pairs(pred_fn_pairs, exclusive, name) -> list:
    if not isinstance(pred_fn_pairs, (list, tuple, dict)):
        raise TypeError("'pred_fn_pairs' must be a list, tuple, or dict. Received: "
                        f"{type(pred_fn_pairs)}")
    if isinstance(pred_fn_pairs, dict):  # TF1 orders a plain dict by predicate name
        items = list(pred_fn_pairs.items())
        if not isinstance(pred_fn_pairs, collections.OrderedDict):
            items.sort(key=lambda item: item[0].name)
            if not exclusive:
                from .tf_logging import warn

                warn("%s: An unordered dictionary of predicate/fn pairs was provided, but "
                     "exclusive=False. The order of conditional tests is deterministic but "
                     "not guaranteed.", name)
        pred_fn_pairs = items
    if not pred_fn_pairs:
        raise ValueError("'pred_fn_pairs' must not be empty.")
    out = []
    for pair in pred_fn_pairs:
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise TypeError(f"Each entry in 'pred_fn_pairs' must be a 2-tuple. Received {pair}.")
        pred, fn = pair
        if not isinstance(pred, Tensor):
            raise TypeError(f"pred must be a Tensor, got: {pred}")
        if pred.dtype.name != "bool":
            raise TypeError(f"pred must be Tensor of type bool: {pred.name}")
        if not callable(fn):
            raise TypeError(f"fn for pred {pred.name} must be callable.")
        out.append((pred, fn))
    return out


def _unpack_singleton(v):
    if isinstance(v, (list, tuple)) and len(v) == 1:
        return v[0]
    return v
