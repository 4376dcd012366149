"""Hand-built GraphDefs with a function library, for the tests of function inlining and of
functional control flow (TF-free: the protos are built field by field)."""

from __future__ import annotations

import minitf as tf
from minitf.protos import function_pb2, graph_pb2, node_def_pb2


def node(name, op, inputs=(), **attrs):
    """A NodeDef. Attr values: ``value`` a tensor; a tuple of DataTypes a type list; a list
    of names a function list (Case's branches); a str a function; a bool a bool;
    ``parallel_iterations`` an int; anything else a DataType."""
    out = node_def_pb2.NodeDef(name=name, op=op, input=list(inputs))
    for key, value in attrs.items():
        if key == "value":
            out.attr["value"].tensor.CopyFrom(tf.make_tensor_proto(value))
        elif isinstance(value, tuple):
            out.attr[key].list.type.extend(value)
        elif isinstance(value, list):
            for fname in value:
                out.attr[key].list.func.add(name=fname)
        elif isinstance(value, str):
            out.attr[key].func.name = value
        elif isinstance(value, bool):
            out.attr[key].b = value
        elif key == "parallel_iterations":
            out.attr[key].i = value
        else:
            out.attr[key].type = value
    return out


def function(name, inputs, outputs, nodes, ret, control_ret=None):
    """A FunctionDef: ``inputs``/``outputs`` (name, DataType) pairs, ``ret`` output name ->
    body tensor (``node:arg:index``), ``control_ret`` control output name -> node."""
    f = function_pb2.FunctionDef()
    f.signature.name = name
    for arg, dtype in inputs:
        f.signature.input_arg.add(name=arg, type=dtype)
    for arg, dtype in outputs:
        f.signature.output_arg.add(name=arg, type=dtype)
    f.node_def.extend(nodes)
    f.ret.update(ret)
    for key, target in (control_ret or {}).items():
        f.signature.control_output.append(key)
        f.control_ret[key] = target
    return f


def graph(nodes, functions):
    gd = graph_pb2.GraphDef()
    gd.node.extend(nodes)
    gd.library.function.extend(functions)
    return gd
