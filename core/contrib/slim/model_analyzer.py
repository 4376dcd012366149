"""``slim.model_analyzer`` (TF 1.x): the sizes of a graph's op outputs and of a list of
variables, optionally printed in TF's format (one line each, then totals)."""

from __future__ import annotations

__all__ = ["analyze_ops", "analyze_vars", "tensor_description"]

_REF_PREFIXES = ("Assign", "Scatter", "Apply", "SparseApply", "Ref")


def _is_ref(var) -> bool:
    """Whether TF 1.x would give ``var`` a reference dtype (``float32_ref``): a (ref)
    Variable, or an output of a variable op or of an op updating a variable in place, which
    TF declares ``Ref(T)``. minitf keeps plain dtypes, so it is told from the op."""
    if hasattr(var, "_ref") and hasattr(var, "initializer"):
        return True
    op = getattr(var, "op", None)
    opdef = getattr(op, "_opdef", None)
    if opdef is None:
        return False
    if opdef.resource == "variable" and not opdef.ref_args:
        return True
    return bool(opdef.ref_args) and (op.type.startswith(_REF_PREFIXES) or
                                     op.type in ("StridedSliceAssign", "ZeroInitializer"))


def tensor_description(var) -> str:
    """``(dtype AxBxC)`` of a tensor or variable (``?`` for an unknown dimension; ValueError
    for an unknown rank, as TF), the dtype ``<name>_ref`` where TF 1.x's is a reference."""
    dtype = var.dtype.name + ("_ref" if _is_ref(var) else "")
    return f"({dtype} " + "x".join(str(d) for d in var.get_shape()) + ")"


def analyze_ops(graph, print_info=False) -> int:
    """The total number of elements of the outputs of ``graph``'s ops (unknown sizes count
    0); with ``print_info``, each op as ``name -> (type shapes) [size]``."""
    if print_info:
        print("---------")
        print("Operations: name -> (type shapes) [size]")
        print("---------")
    total = 0
    for op in graph.get_operations():
        size, shapes = 0, []
        for output in op.outputs:
            shape = output.get_shape()
            if shape.rank is not None:
                shapes.append(tensor_description(output))
            size += shape.num_elements() or 0
        if print_info:
            print(op.name, "\t->", ", ".join(shapes), "[" + str(size) + "]")
        total += size
    return total


def analyze_vars(variables, print_info=False) -> tuple[int, int]:
    """(total elements, total bytes) of ``variables`` (unknown sizes count 0); with
    ``print_info``, each as ``name (type shape) [size, bytes: n]``, then the totals."""
    if print_info:
        print("---------")
        print("Variables: name (type shape) [size]")
        print("---------")
    total_size = total_bytes = 0
    for var in variables:
        size = var.get_shape().num_elements() or 0
        nbytes = size * var.dtype.size
        total_size += size
        total_bytes += nbytes
        if print_info:
            print(var.name, tensor_description(var), f"[{size}, bytes: {nbytes}]")
    if print_info:
        print(f"Total size of variables: {total_size}")
        print(f"Total bytes of variables: {total_bytes}")
    return total_size, total_bytes
