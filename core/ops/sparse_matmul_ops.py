"""SparseMatMul (``tf.sparse_matmul``): a dense matrix product whose a_is_sparse / b_is_sparse
attrs are hints that an operand is mostly zeros. The hints change TF's kernel, not the result,
so the numpy kernel ignores them; the node keeps them so GraphDefs round-trip with TF."""

from __future__ import annotations

import numpy as np

from ..graph import convert_to_tensor
from ..opdef import OpDef, register
from ._math_util import _check_dtype, _scope
from .linalg_ops import _matmul_infer, _matmul_kernel, matmul_grad_terms

__all__ = ["sparse_matmul"]

# TF also allows bfloat16, which minitf has no dtype for.
_TYPES = ("float32",)


def _infer(a, b, *, transpose_a, transpose_b, a_is_sparse, b_is_sparse):
    _check_dtype(a, _TYPES, "a")
    _check_dtype(b, _TYPES, "b")
    return _matmul_infer(a, b, transpose_a=transpose_a, transpose_b=transpose_b)


def _kernel(a, b, *, transpose_a, transpose_b, a_is_sparse, b_is_sparse):
    out = _matmul_kernel(a, b, transpose_a=transpose_a, transpose_b=transpose_b)
    return out.astype(np.float32, copy=False)


def _grad(op, grad):
    """TF's _SparseMatMulGrad: SparseMatMuls carrying each operand's sparsity hint, the output
    gradient hinted sparse when it comes from a ReluGrad (TF's heuristic)."""
    a, b = op.inputs
    ta, tb = op._get_attr("transpose_a"), op._get_attr("transpose_b")
    sparse = {id(a): op._get_attr("a_is_sparse"), id(b): op._get_attr("b_is_sparse"),
              id(grad): grad.op.type == "ReluGrad"}

    def product(t1, t2, transpose_a, transpose_b):
        # TF transposes the second operand explicitly rather than pass transpose_b.
        s1, s2 = sparse[id(t1)], sparse[id(t2)]
        if transpose_b:
            from .transform_ops import transpose
            t2 = transpose(t2)
        return SPARSE_MATMUL(t1, t2, transpose_a=transpose_a, transpose_b=False,
                             a_is_sparse=s1, b_is_sparse=s2)

    return matmul_grad_terms(a, b, grad, ta, tb, product)


SPARSE_MATMUL = register(OpDef(
    "SparseMatMul", inputs=["a:Ta", "b:Tb"],
    attrs={"transpose_a": False, "transpose_b": False, "a_is_sparse": False,
           "b_is_sparse": False},
    kernel=_kernel, infer=_infer, grad=_grad,
))


def sparse_matmul(a, b, transpose_a=False, transpose_b=False, a_is_sparse=False,
                  b_is_sparse=False, name=None):
    """``tf.sparse_matmul``: ``a @ b`` of two float32 matrices (TF1's signature)."""
    with _scope(name, "SparseMatMul", (a, b)) as scope:
        a = convert_to_tensor(a, name="a")
        b = convert_to_tensor(b, preferred_dtype=a.dtype, name="b")
        return SPARSE_MATMUL(a, b, transpose_a=transpose_a, transpose_b=transpose_b,
                             a_is_sparse=a_is_sparse, b_is_sparse=b_is_sparse, name=scope)
