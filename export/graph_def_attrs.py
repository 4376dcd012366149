"""AttrValue protos <-> Python attr values, by the attr's kind ("int", "list(type)", ...) as the
OpDef declares it: what the GraphDef export and import (graph_def.py, graph_def_import.py) write
and read for every node attr."""

from __future__ import annotations

from minitf import dtypes as _dt
from minitf.errors import InvalidArgumentError
from minitf.protos import attr_value_pb2

from .tensors import (dtype_from_enum, make_ndarray, make_tensor_proto, shape_from_proto,
                      shape_to_proto)


def _attr_kind(opdef, name):
    kind = opdef.attr_kinds.get(name)
    if kind is not None:
        return kind
    for a in opdef.args:
        if a.type_attr == name:
            return "type"
        if a.number_attr == name:
            return "int"
        if a.type_list_attr == name:
            return "list(type)"
    return None


def attr_to_proto(value, kind: str, av=None) -> attr_value_pb2.AttrValue:
    av = av if av is not None else attr_value_pb2.AttrValue()
    if kind == "string":
        av.s = value.encode() if isinstance(value, str) else bytes(value)
    elif kind == "int":
        av.i = int(value)
    elif kind == "float":
        av.f = float(value)
    elif kind == "bool":
        av.b = bool(value)
    elif kind == "type":
        av.type = _dt.as_dtype(value).as_datatype_enum
    elif kind == "shape":
        av.shape.SetInParent()  # a scalar shape has no fields, but the attr must be present
        shape_to_proto(value, av.shape)
    elif kind == "tensor":
        av.tensor.CopyFrom(make_tensor_proto(value))
    elif kind.startswith("list("):
        lst = av.list
        lst.SetInParent()  # an empty list is written as `list {}`, not left unset
        inner = kind[5:-1]
        for v in value:
            if inner == "int":
                lst.i.append(int(v))
            elif inner == "float":
                lst.f.append(float(v))
            elif inner == "bool":
                lst.b.append(bool(v))
            elif inner == "string":
                lst.s.append(v.encode() if isinstance(v, str) else bytes(v))
            elif inner == "type":
                lst.type.append(_dt.as_dtype(v).as_datatype_enum)
            elif inner == "shape":
                shape_to_proto(v, lst.shape.add())
    else:
        raise ValueError(f"unknown attr kind {kind}")
    return av


_ONEOF_KIND = {"s": "string", "i": "int", "f": "float", "b": "bool", "type": "type",
               "shape": "shape", "tensor": "tensor"}


def attr_from_proto(av, kind: str, what: str, content=None):
    """The Python value of an AttrValue that should be of ``kind``."""
    which = av.WhichOneof("value")
    if which is None:
        if kind.startswith("list("):
            return []
        raise InvalidArgumentError(None, None, f"{what} has no value")
    if which == "list":
        if not kind.startswith("list("):
            raise InvalidArgumentError(None, None, f"{what} is a list, expected {kind}")
        inner, lst = kind[5:-1], av.list
        if inner == "int":
            return list(lst.i)
        if inner == "float":
            return list(lst.f)
        if inner == "bool":
            return list(lst.b)
        if inner == "string":
            return [_decode(s, what) for s in lst.s]
        if inner == "type":
            return [dtype_from_enum(t, what) for t in lst.type]
        if inner == "shape":
            return [shape_from_proto(s, what) for s in lst.shape]
        raise InvalidArgumentError(None, None, f"{what}: unsupported list kind {kind}")
    got = _ONEOF_KIND.get(which)
    if got != kind:
        raise InvalidArgumentError(None, None, f"{what} holds a {got or which}, expected {kind}")
    if which == "s":
        return _decode(av.s, what)
    if which == "type":
        return dtype_from_enum(av.type, what)
    if which == "shape":
        return shape_from_proto(av.shape, what)
    if which == "tensor":
        return make_ndarray(av.tensor, what, content=content)
    return getattr(av, which)


def _decode(raw: bytes, what: str) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidArgumentError(None, None, f"{what} is not valid UTF-8") from None
