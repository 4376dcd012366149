"""TF2's functional control flow (``If``, ``While``, ``Case`` and their stateless forms)
lowered to TF1's (Switch/Merge, Enter/Exit frames), which minitf's executor runs: the
rewrite TensorFlow itself makes before running a graph (core/common_runtime/lower_if_op.cc,
lower_while_op.cc, lower_case_op.cc). export/functions.py calls these while it inlines a
GraphDef's functions; each branch, condition and body is inlined with
``_Inliner.inline_body``, so calls (and control flow) inside them are expanded in turn.

- ``If``: the predicate is switched on itself to make a pivot per branch (an Identity of each
  Switch output), each input is switched on the predicate, each branch is inlined on its side
  of the Switches (its nodes that read nothing hang on the branch's pivot) and each output is
  a Merge of the two branches'.
- ``Case``: TF switches every input N ways (``_SwitchN``, which sends an index out of range to
  the last branch). Here it is a chain of those Ifs, as TF1's ``tf.case`` builds it: branch k
  runs when ``index == k`` and no earlier branch did; the last one when none did, so an index
  out of range takes the last branch, as in TF.
- ``While``: per loop variable an Enter (the frame is the node's own name, unique in the
  graph), a Merge of it and the NextIteration, the condition inlined on the Merges (its
  input-less nodes hang on the first Merge) into a LoopCond, a Switch per variable on it, the
  body inlined on the Switches' output 1 (hanging on an Identity of the first, TF's
  ``loop_body_control``) into the NextIterations, and an Exit on each Switch's output 0.

The node then becomes an ``IdentityN`` of the results (a ``NoOp`` without any) under its own
name, so ``node:k`` and ``^node`` keep their meaning. Its control inputs come before anything
it runs: If gives them to its Switches (TF gives them to the predicate's Switch only, but
there every branch node waits on that through the inlined call), Case to the Identity of its
index every level's predicate reads, While to its Enters. Its control dependents wait for
the branches' control outputs (their side effects) through a Merge of the pivots that
waits on them (TF's ``branch_executed``; a Merge runs whichever branch was taken), and for a
loop's through its Exits (the body's control outputs hang on its NextIterations).

A predicate that is not bool is tested as TF's If kernel tests a scalar (a number is true
when not zero, a string when not empty); a predicate that is not a scalar fails at run time
with the Switch's (the LoopCond's) error, as in TF, which runs these ops lowered too.
"""

from __future__ import annotations

from minitf.protos import graph_pb2, types_pb2

__all__ = ["LOWERINGS"]

# op type -> lower(inliner, node, stack, out) -> the node that takes ``node``'s place
LOWERINGS: dict = {}


def _new(inliner, node, out, infix, op, inputs=(), **attrs):
    """A new node ``<node>/<infix>`` (made unique) appended to ``out``, on ``node``'s device.
    ``attrs`` values: a DataType enum (``T=...``), a list of them, an int or a str."""
    new = graph_pb2.GraphDef().node.add(name=inliner._fresh(f"{node.name}/{infix}"), op=op,
                                        device=node.device)
    new.input.extend(inputs)
    for key, value in attrs.items():
        if isinstance(value, list):
            new.attr[key].list.type.extend(value)
        elif isinstance(value, str):
            new.attr[key].s = value.encode()
        elif key in ("T", "DstT", "SrcT", "dtype"):
            new.attr[key].type = value
        else:
            new.attr[key].i = value
    out.append(new)
    return new


def _base(tensor):
    """The last part of a tensor's node name (``a/b:1`` -> ``b``), for naming its Switch."""
    return tensor.split(":")[0].rpartition("/")[2]


def _split_inputs(node):
    return ([i for i in node.input if not i.startswith("^")],
            [i for i in node.input if i.startswith("^")])


def _types(inliner, node, attr, n, what):
    """The DataTypes of list attr ``attr``, checked to number ``n`` (``what`` they type)."""
    if attr not in node.attr and n:  # (an empty list attr may be left out)
        raise inliner._error(f"node {node.name} ({node.op}) does not set attr '{attr}'")
    types = list(node.attr[attr].list.type)
    if len(types) != n:
        raise inliner._error(f"node {node.name} ({node.op}) has {n} {what}, but its attr "
                             f"'{attr}' lists {len(types)} types")
    return types


def _function(inliner, node, attr):
    if attr not in node.attr or not node.attr[attr].func.name:
        raise inliner._error(f"node {node.name} ({node.op}) does not name its '{attr}' "
                             "function")
    return node.attr[attr].func


# The predicate types TF's If and While kernels convert to a boolean (ToBool).
_TO_BOOL = frozenset({types_pb2.DT_FLOAT, types_pb2.DT_DOUBLE, types_pb2.DT_INT32,
                      types_pb2.DT_UINT8, types_pb2.DT_INT16, types_pb2.DT_INT8,
                      types_pb2.DT_INT64, types_pb2.DT_STRING})


def _as_bool(inliner, node, out, tensor, dtype, infix):
    """``tensor`` as the bool a Switch (LoopCond) takes: itself when bool, else what TF's If
    and While kernels make of a scalar (not zero; a string not empty)."""
    if dtype in (types_pb2.DT_BOOL, types_pb2.DT_INVALID):
        return tensor
    if dtype not in _TO_BOOL:
        from minitf import dtypes

        raise inliner._error(f"node {node.name} ({node.op}): its predicate is "
                             f"{dtypes.as_dtype(dtype).name}, which cannot be converted to a "
                             "boolean")
    if dtype == types_pb2.DT_STRING:
        length = _new(inliner, node, out, f"{infix}_length", "StringLength", [tensor],
                      unit="BYTE")
        tensor, dtype = length.name, types_pb2.DT_INT32
    cast = _new(inliner, node, out, infix, "Cast", [tensor], SrcT=dtype,
                DstT=types_pb2.DT_BOOL)
    cast.attr["Truncate"].b = False
    return cast.name


def _conditional(inliner, node, out, pred, inputs, types, controls, then, other):
    """TF's lowered If around ``then(inputs, controls)`` and ``other(inputs, controls)``
    (each returning (output tensors, ``^`` control outputs)): the inputs switched on the
    bool ``pred``, a pivot per branch. Returns (the Merges' tensors, the branches' control
    outputs, the pivots)."""
    switch_pred = _new(inliner, node, out, "switch_pred", "Switch", [pred, pred, *controls],
                       T=types_pb2.DT_BOOL)
    pivot_f = _new(inliner, node, out, "pivot_f", "Identity", [f"{switch_pred.name}:0"],
                   T=types_pb2.DT_BOOL)
    pivot_t = _new(inliner, node, out, "pivot_t", "Identity", [f"{switch_pred.name}:1"],
                   T=types_pb2.DT_BOOL)
    switches = []
    for tensor, dtype in zip(inputs, types):
        sw = _new(inliner, node, out, f"{_base(tensor)}_switch", "Switch",
                  [tensor, pred, *controls], T=dtype)
        switches.append(sw.name)
    then_out, then_done = then([f"{s}:1" for s in switches], [f"^{pivot_t.name}"])
    else_out, else_done = other([f"{s}:0" for s in switches], [f"^{pivot_f.name}"])
    if len(then_out) != len(else_out):
        raise inliner._error(f"node {node.name} ({node.op}): its branches give "
                             f"{len(then_out)} and {len(else_out)} outputs")
    return list(zip(then_out, else_out)), then_done + else_done, (pivot_t, pivot_f)


def _merge_outputs(inliner, node, out, pairs, types):
    merges = []
    for (a, b), dtype in zip(pairs, types):
        merge = _new(inliner, node, out, "output", "Merge", [a, b], T=dtype, N=2)
        merges.append(f"{merge.name}:0")
    return merges


def _result(inliner, node, out, outputs, types, done, pivots):
    """The node taking ``node``'s place: an IdentityN of ``outputs`` (a NoOp without any)
    that, when the branches have control outputs (or no outputs), waits on TF's
    ``branch_executed``, a Merge of the pivots that waits on the control outputs."""
    result = graph_pb2.GraphDef().node.add(name=node.name, device=node.device)
    if outputs:
        result.op = "IdentityN"
        result.input.extend(outputs)
        result.attr["T"].list.type.extend(types)
    else:
        result.op = "NoOp"
    if pivots is not None and (done or not outputs):
        executed = _new(inliner, node, out, "branch_executed", "Merge",
                        [p.name for p in pivots] + sorted(set(done)), T=types_pb2.DT_BOOL,
                        N=len(pivots))
        result.input.append(f"^{executed.name}")
    return result


def _branch(inliner, fn, prefix, stack, out):
    def run(inputs, controls):
        return inliner.inline_body(fn.name, fn.attr, inputs, controls, prefix, stack, out)
    return run


def _lower_if(inliner, node, stack, out):
    data, controls = _split_inputs(node)
    if not data:
        raise inliner._error(f"node {node.name} ({node.op}) has no predicate input")
    pred, inputs = data[0], data[1:]
    then_fn = _function(inliner, node, "then_branch")
    else_fn = _function(inliner, node, "else_branch")
    types = _types(inliner, node, "Tin", len(inputs), "inputs after the predicate")
    tcond = node.attr["Tcond"].type if "Tcond" in node.attr else types_pb2.DT_BOOL
    pred = _as_bool(inliner, node, out, pred, tcond, "pred")
    pairs, done, pivots = _conditional(
        inliner, node, out, pred, inputs, types, controls,
        _branch(inliner, then_fn, f"{node.name}/then", stack, out),
        _branch(inliner, else_fn, f"{node.name}/else", stack, out))
    tout = _types(inliner, node, "Tout", len(pairs), "outputs")
    return _result(inliner, node, out, _merge_outputs(inliner, node, out, pairs, tout), tout,
                   done, pivots)


def _lower_case(inliner, node, stack, out):
    data, controls = _split_inputs(node)
    if not data:
        raise inliner._error(f"node {node.name} ({node.op}) has no branch_index input")
    index, inputs = data[0], data[1:]
    if "branches" not in node.attr or not node.attr["branches"].list.func:
        raise inliner._error(f"node {node.name} ({node.op}) has no branch functions")
    branches = list(node.attr["branches"].list.func)
    types = _types(inliner, node, "Tin", len(inputs), "inputs after the branch index")
    int32 = types_pb2.DT_INT32
    # The index, after the node's control inputs: every level's predicate reads it.
    index = _new(inliner, node, out, "branch_index", "Identity", [index, *controls],
                 T=int32).name

    def run(k, args, ctrls):
        return _branch(inliner, branches[k], f"{node.name}/branch{k}", stack, out)(args, ctrls)

    def level(k, args, ctrls):
        """Branches k.. on ``args`` (the inputs, then the index), the nodes that read nothing
        hanging on ``ctrls``: (outputs, control outputs, this level's pivots)."""
        if k == len(branches) - 1:
            return (*run(k, args[:-1], ctrls), None)
        const = _new(inliner, node, out, f"index_{k}", "Const", list(ctrls), dtype=int32)
        value = const.attr["value"].tensor
        value.dtype = int32
        value.tensor_shape.SetInParent()
        value.int_val.append(k)
        pred = _new(inliner, node, out, f"is_{k}", "Equal", [args[-1], const.name], T=int32)
        pred.attr["incompatible_shape_error"].b = True
        pairs, done, pivots = _conditional(
            inliner, node, out, pred.name, args, [*types, int32], [],
            lambda a, c: run(k, a[:-1], c), lambda a, c: level(k + 1, a, c)[:2])
        return _merge_outputs(inliner, node, out, pairs, tout), done, pivots

    tout = list(node.attr["Tout"].list.type) if "Tout" in node.attr else []
    outputs, done, pivots = level(0, [*inputs, index], [f"^{index}"])
    if len(outputs) != len(tout):
        raise inliner._error(f"node {node.name} ({node.op}): its branches give "
                             f"{len(outputs)} outputs, but its attr 'Tout' lists {len(tout)}")
    if pivots is None:  # one branch: it always runs
        result = _result(inliner, node, out, outputs, tout, [], None)
        result.input.extend(sorted(set(done)) or ([] if outputs else [f"^{index}"]))
        return result
    return _result(inliner, node, out, outputs, tout, done, pivots)


def _lower_while(inliner, node, stack, out):
    inputs, controls = _split_inputs(node)
    if not inputs:
        raise inliner._error(f"node {node.name} ({node.op}) has no loop variables")
    cond_fn = _function(inliner, node, "cond")
    body_fn = _function(inliner, node, "body")
    types = _types(inliner, node, "T", len(inputs), "loop variables")
    parallel = node.attr["parallel_iterations"].i if "parallel_iterations" in node.attr else 10
    enters, merges = [], []
    for tensor, dtype in zip(inputs, types):
        enter = _new(inliner, node, out, "enter", "Enter", [tensor, *controls], T=dtype,
                     frame_name=node.name, parallel_iterations=parallel)
        enter.attr["is_constant"].b = False
        enters.append(enter)
        merges.append(_new(inliner, node, out, "merge", "Merge", [enter.name, enter.name],
                           T=dtype, N=2))
    values = [f"{m.name}:0" for m in merges]
    cond_out, _ = inliner.inline_body(cond_fn.name, cond_fn.attr, values,
                                      [f"^{merges[0].name}"], f"{node.name}/cond", stack, out)
    if len(cond_out) != 1:
        raise inliner._error(f"node {node.name} ({node.op}): its cond function "
                             f"'{cond_fn.name}' gives {len(cond_out)} outputs, not 1")
    pred = _as_bool(inliner, node, out, cond_out[0], _output_type(inliner, cond_fn),
                    "cond_bool")
    loop_cond = _new(inliner, node, out, "LoopCond", "LoopCond", [pred])
    switches = [_new(inliner, node, out, f"{_base(t)}_switch",
                     "Switch", [f"{m.name}:0", loop_cond.name], T=dtype)
                for t, m, dtype in zip(inputs, merges, types)]
    pivot = _new(inliner, node, out, "loop_body_control", "Identity",
                 [f"{switches[0].name}:1"], T=types[0])
    body_out, body_done = inliner.inline_body(body_fn.name, body_fn.attr,
                                      [f"{s.name}:1" for s in switches], [f"^{pivot.name}"],
                                      f"{node.name}/body", stack, out)
    if len(body_out) != len(inputs):
        raise inliner._error(f"node {node.name} ({node.op}): its body function "
                             f"'{body_fn.name}' gives {len(body_out)} outputs for "
                             f"{len(inputs)} loop variables")
    exits = []
    for tensor, merge, sw, dtype in zip(body_out, merges, switches, types):
        # The body's side effects run every iteration: TF1's loops hang them on the
        # NextIterations too (core/plan_control_flow.py runs what those wait for).
        nxt = _new(inliner, node, out, "next_iteration", "NextIteration",
                   [tensor, *sorted(set(body_done))], T=dtype)
        merge.input[1] = nxt.name
        exits.append(_new(inliner, node, out, "exit", "Exit", [f"{sw.name}:0"], T=dtype).name)
    result = graph_pb2.GraphDef().node.add(name=node.name, op="IdentityN", device=node.device)
    result.input.extend(exits)
    result.attr["T"].list.type.extend(types)
    return result


def _output_type(inliner, fn):
    """The DataType of function ``fn``'s one output (DT_INVALID when set by an attr the
    call does not give)."""
    fdef = inliner.library.get(fn.name)
    if fdef is None or len(fdef.signature.output_arg) != 1:
        return types_pb2.DT_INVALID
    arg = fdef.signature.output_arg[0]
    if arg.type_attr:
        return fn.attr[arg.type_attr].type if arg.type_attr in fn.attr else \
            types_pb2.DT_INVALID
    return arg.type


for _op, _lower in (("If", _lower_if), ("StatelessIf", _lower_if), ("While", _lower_while),
                    ("StatelessWhile", _lower_while), ("Case", _lower_case),
                    ("StatelessCase", _lower_case)):
    LOWERINGS[_op] = _lower
