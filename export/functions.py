"""A GraphDef's function calls inlined: the graphs TF2 writes (``tf.function``, Keras and
``tf.saved_model.save``) call the FunctionDefs of their library through ``PartitionedCall`` and
``StatefulPartitionedCall`` nodes. minitf has no function runtime: each call becomes its body's
nodes under the call's name, as TensorFlow's own inliner does before it runs a graph.

- An argument is the caller's input tensor itself (a body node reads it directly), so a frozen
  variable's handle reaches the ``ReadVariableOp`` that reads it.
- The call's control inputs are given to the body's nodes that read nothing from the body and
  to the call's result, so nothing of the body runs, and no result (an argument passed
  straight through) is seen, before them.
- The call becomes an ``IdentityN`` of the function's results (a ``NoOp`` when there are none),
  so ``call:k`` and ``^call`` still name what they named; it also waits for the function's
  control outputs (its side effects), as a call does.

Calls inside bodies are inlined in turn; a function that calls itself is refused. A chain of
calls (a function calling the next, hundreds deep, as TF imports) is inlined without recursion:
``_expand`` and ``_inline_body`` are generators that yield the nested call to expand, and
``_drive`` runs them from a list, so the depth is not Python's stack.
"""

from __future__ import annotations

from minitf.errors import InvalidArgumentError
from minitf.protos import graph_pb2
from minitf.raw_ops_outputs import OUTPUTS

from .functional_ops import LOWERINGS

CALL_OPS = frozenset({"PartitionedCall", "StatefulPartitionedCall"})


def has_calls(graph_def) -> bool:
    """Whether any node of ``graph_def`` calls a function of its library."""
    if not graph_def.library.function:
        return False
    names = {f.signature.name for f in graph_def.library.function}
    return any(n.op in CALL_OPS or n.op in LOWERINGS or n.op in names for n in graph_def.node)


def inline_functions(graph_def, source: str = "GraphDef", only=None):
    """``graph_def`` with every function call (of the node names in ``only``, if given)
    replaced by the function's body: a new GraphDef where the original nodes keep their
    indices (a call's node its place) and the bodies' nodes follow. Without calls,
    ``graph_def`` itself."""
    if not has_calls(graph_def):
        return graph_def
    inliner = _Inliner(graph_def, source)
    out = graph_pb2.GraphDef()
    out.versions.CopyFrom(graph_def.versions)
    out.library.CopyFrom(graph_def.library)
    for node in graph_def.node:
        out.node.add().CopyFrom(node)
    body_nodes = []
    for i, node in enumerate(graph_def.node):
        if inliner.is_call(node) and (only is None or node.name in only):
            try:
                out.node[i].CopyFrom(inliner.expand(node, (), body_nodes))
            except RecursionError:  # control flow in control flow: each level a nested _drive
                raise InvalidArgumentError(
                    None, None, f"{source}: node {node.name} calls functions nested at least "
                    f"{inliner.deepest} deep through functional control flow (If, Case, "
                    "While), too deep to inline") from None
    out.node.extend(body_nodes)
    return out


def _drive(gen):
    """Runs generator ``gen`` of the inliner: each generator it yields (a nested call to
    expand) runs to its end first and its return value is sent back. The chain of unfinished
    ones is a list, so a call chain as deep as the library allows costs no Python stack."""
    frames, value = [gen], None
    while True:
        try:
            sub = frames[-1].send(value)
        except StopIteration as stop:
            frames.pop()
            if not frames:
                return stop.value
            value = stop.value
        else:
            frames.append(sub)
            value = None


class _Inliner:
    def __init__(self, graph_def, source):
        self.source = source
        self.library = {f.signature.name: f for f in graph_def.library.function}
        self.names = {n.name for n in graph_def.node}
        self.deepest = 0  # the longest chain of calls inlined, for an error's message

    def is_call(self, node) -> bool:
        return node.op in CALL_OPS or node.op in LOWERINGS or node.op in self.library

    def _error(self, text):
        return InvalidArgumentError(None, None, f"{self.source}: {text}")

    def expand(self, call, stack, out):
        """Appends the body of ``call`` (calls in it expanded too) to ``out``; returns the node
        that takes the call's place."""
        return _drive(self._expand(call, stack, out))

    def inline_body(self, fname, fattrs, inputs, controls, prefix, stack, out):
        """Appends function ``fname``'s body to ``out``, its nodes named ``prefix/...``, its
        arguments the GraphDef tensors ``inputs`` (flattened), the ``controls`` (``^name``)
        given to the nodes that read nothing from the body; calls in it are expanded too.
        Returns (the tensors of its results, ``^name`` of its control outputs)."""
        return _drive(self._inline_body(fname, fattrs, inputs, controls, prefix, stack, out))

    def _expand(self, call, stack, out):
        """``expand`` as a generator (see _drive)."""
        if call.op in LOWERINGS:  # functional control flow: TF1's form of it (its branches
            # and bodies are inlined by a nested _drive: a call, not a step of this one)
            return LOWERINGS[call.op](self, call, stack, out)
        if call.op in CALL_OPS:
            fname, fattrs = call.attr["f"].func.name, call.attr["f"].func.attr
        else:
            fname, fattrs = call.op, call.attr
        data = [i for i in call.input if not i.startswith("^")]
        controls = [i for i in call.input if i.startswith("^")]
        outputs, done = yield self._inline_body(fname, fattrs, data, controls, call.name,
                                                stack, out)
        result = graph_pb2.GraphDef().node.add(name=call.name, device=call.device)
        if outputs:
            result.op = "IdentityN"
            result.input.extend(outputs)
            sig = self.library[fname].signature
            types = (call.attr["Tout"].list.type if call.op in CALL_OPS else
                     [self._arg_type(a, fattrs, call) for a in sig.output_arg])
            result.attr["T"].list.type.extend(types)
        else:
            result.op = "NoOp"
        # (The controls too: a result that is an argument itself must still wait for them.)
        result.input.extend(done + controls)
        return result

    def _inline_body(self, fname, fattrs, inputs, controls, prefix, stack, out):
        """``inline_body`` as a generator (see _drive)."""
        fdef = self.library.get(fname)
        if fdef is None:
            raise self._error(f"node {prefix} calls function '{fname}', which the graph's "
                              "function library does not define")
        if fname in stack:
            raise self._error(f"function '{fname}' calls itself (through node {prefix}); "
                              "recursive functions are not supported")
        self.deepest = max(self.deepest, len(stack) + 1)
        sig = fdef.signature
        args, k = {}, 0
        for arg in sig.input_arg:
            n = self._arg_length(arg, fattrs, prefix)
            args[arg.name] = list(inputs[k:k + n])
            k += n
        if k != len(inputs):
            raise self._error(f"node {prefix} gives {len(inputs)} inputs to function "
                              f"'{fname}', which takes {k}")
        body = {n.name: n for n in fdef.node_def}
        renamed = {name: self._fresh(f"{prefix}/{name}") for name in body}

        def tensor(ref, where):
            """A body reference (``arg``, ``arg:i``, ``node``, ``node:out:i``) as the GraphDef
            input it stands for."""
            parts = ref.split(":")
            if parts[0] in args and len(parts) <= 2:
                tensors = args[parts[0]]
                i = int(parts[1]) if len(parts) == 2 else 0
                if i >= len(tensors):
                    raise self._error(f"{where} reads {ref!r}, but argument '{parts[0]}' of "
                                      f"function '{fname}' has {len(tensors)} tensors")
                return tensors[i]
            node = body.get(parts[0])
            if node is None:
                raise self._error(f"{where} reads {ref!r}, which function '{fname}' does not "
                                  "define")
            if len(parts) == 1:
                return renamed[parts[0]]
            if len(parts) != 3:
                raise self._error(f"{where}: malformed input {ref!r} in function '{fname}'")
            return f"{renamed[parts[0]]}:{self._output_index(node, parts[1], int(parts[2]))}"

        for node in fdef.node_def:
            new = graph_pb2.GraphDef().node.add()
            new.CopyFrom(node)
            new.name = renamed[node.name]
            del new.input[:]
            reads_body = False
            for ref in node.input:
                if ref.startswith("^"):
                    if ref[1:] not in body:
                        raise self._error(f"node {node.name} of function '{fname}' has a "
                                          f"control input {ref!r} the function does not define")
                    new.input.append("^" + renamed[ref[1:]])
                    reads_body = True
                else:
                    new.input.append(tensor(ref, f"node {node.name} of function '{fname}'"))
                    reads_body |= ref.split(":")[0] in body
            if not reads_body:
                new.input.extend(controls)
            for key, value in new.attr.items():
                if value.placeholder:
                    if value.placeholder not in fattrs:
                        raise self._error(f"node {node.name} of function '{fname}' takes attr "
                                          f"'{key}' from the call's '{value.placeholder}', "
                                          f"which node {prefix} does not set")
                    value.CopyFrom(fattrs[value.placeholder])
            if self.is_call(new):
                new = yield self._expand(new, (*stack, fname), out)
            out.append(new)
        outputs = []
        for arg in sig.output_arg:
            if arg.name not in fdef.ret:
                raise self._error(f"function '{fname}' does not say which tensor its output "
                                  f"'{arg.name}' is")
            outputs.append(tensor(fdef.ret[arg.name], f"output '{arg.name}' of '{fname}'"))
        return outputs, ["^" + renamed[n] for n in sorted(fdef.control_ret.values())]

    def _fresh(self, name):
        """``name``, or the first of ``name_1``, ``name_2``... no node has yet."""
        base, k = name, 0
        while name in self.names:
            k += 1
            name = f"{base}_{k}"
        self.names.add(name)
        return name

    def _arg_length(self, arg, attrs, where: str) -> int:
        if arg.number_attr:
            return attrs[arg.number_attr].i if arg.number_attr in attrs else \
                self._missing(arg.number_attr, where)
        if arg.type_list_attr:
            return len(attrs[arg.type_list_attr].list.type) if arg.type_list_attr in attrs \
                else self._missing(arg.type_list_attr, where)
        return 1

    def _arg_type(self, arg, attrs, call):
        if arg.type_attr:
            return attrs[arg.type_attr].type if arg.type_attr in attrs else \
                self._missing(arg.type_attr, call.name)
        if arg.number_attr or arg.type_list_attr:
            raise self._error(f"node {call.name}: a function output that is a list is not "
                              "supported in a direct call")
        return arg.type

    def _missing(self, attr, where: str):
        raise self._error(f"node {where} does not set attr '{attr}' of its function")

    def _output_index(self, node, arg: str, i: int) -> int:
        """The flat output index of ``node``'s tensor ``arg:i``."""
        if node.op in CALL_OPS:  # one output argument, "output"
            return i
        if node.op in self.library:
            specs = self.library[node.op].signature.output_arg
            lengths = [(a.name, self._arg_length(a, node.attr, node.name)) for a in specs]
        elif node.op in OUTPUTS:  # (TF's output arguments: "name" or "name*attr" for a list)
            lengths = []
            for spec in OUTPUTS[node.op]:
                name, _, attr = spec.partition("*")
                if not attr:
                    lengths.append((name, 1))
                elif node.attr[attr].WhichOneof("value") == "list":
                    lengths.append((name, len(node.attr[attr].list.type)))
                else:
                    lengths.append((name, node.attr[attr].i))
        else:
            return i  # one output argument
        k = 0
        for name, n in lengths:
            if name == arg:
                if i >= n:
                    break
                return k + i
            k += n
        raise self._error(f"node {node.name} ({node.op}) has no output {arg}:{i}")
