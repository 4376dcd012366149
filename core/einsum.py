"""``tf.einsum`` from minitf's ops: a letter repeated in one operand takes that operand's
diagonal (MatrixDiagPart), letters only one operand has are summed out, then the operands
contract pairwise as batched matmuls (ellipses expanded to letters). Values and gradients are
those of the ops it is made of."""

from __future__ import annotations

from .graph import control_dependencies, convert_to_tensor, name_scope
from .ops import (array_ops, concat_split_ops, linalg_ops, logic_ops, math_ops, reduction_ops,
                  transform_ops)
from .ops.diag_ops import MATRIX_DIAG_PART
from .ops.einsum_ops import EINSUM
from .ops.logging_ops import Assert
from .ops.manip_ops import ensure_shape

__all__ = ["einsum"]

def einsum(equation, *inputs, **kwargs):
    """``tf.einsum``: an operand that repeats a letter is first reduced to its diagonal over
    it; letters only one operand has and the output lacks are summed, then operands contract
    pairwise, left to right, as one batched matmul each (shared kept letters are its batch),
    and the result is transposed to the output's order. Without ``->`` the output is the
    letters used once, in alphabetical order. An input of unknown rank takes the rank its
    subscripts name, checked at run time (as TF's Einsum op); with ``...`` ranks must be
    known."""
    name = kwargs.pop("name", None)
    if kwargs:
        raise TypeError(f"invalid keyword arguments for einsum: {', '.join(sorted(kwargs))}")
    eq = equation.replace(" ", "")
    if "..." in eq:
        inputs = [convert_to_tensor(t, name=f"input_{i}") for i, t in enumerate(inputs)]
        if len(inputs) <= 2 and any(t.shape.rank is None for t in inputs):
            return _einsum_op(eq, inputs, name)
        eq = _einsum_expand_ellipsis(eq, inputs, equation)
    lhs, arrow, out = eq.partition("->")
    specs = lhs.split(",")
    if len(specs) != len(inputs):
        raise ValueError(f"einsum: the equation {equation!r} has {len(specs)} operands, "
                         f"got {len(inputs)} inputs")
    if not arrow:
        used = "".join(specs)
        out = "".join(sorted(c for c in set(used) if used.count(c) == 1))
    for spec in specs + [out]:
        bad = [c for c in spec if not c.isalpha()]
        if bad:
            raise ValueError(f"einsum: invalid subscript {bad[0]!r} in {equation!r}")
    twice = [c for c in out if out.count(c) > 1]
    if twice:  # TF refuses it too (only its gradient equations embed diagonals)
        raise ValueError(f"einsum: output subscript {twice[0]!r} appears more than once in "
                         f"{equation!r}")
    missing = [c for c in out if c not in lhs]
    if missing:
        raise ValueError(f"einsum: output subscript {missing[0]!r} is not in any input of "
                         f"{equation!r}")
    with name_scope(name, "einsum", inputs):
        tensors = [convert_to_tensor(t, name=f"input_{i}") for i, t in enumerate(inputs)]
        given = [t.name for t in tensors]
        known: dict = {}
        for k, (t, spec) in enumerate(zip(tensors, specs)):
            if t.shape.rank is None:  # the subscripts name the rank (ellipses were expanded)
                t = tensors[k] = _einsum_with_rank(t, k, spec, equation)
            if t.shape.rank != len(spec):
                raise ValueError(f"einsum: input {t.name} has rank {t.shape.rank}, but "
                                 f"subscripts {spec!r} name {len(spec)} dimensions")
            for c, d in zip(spec, t.shape.as_list()):
                if d is None:
                    continue
                have, where = known.setdefault(c, (d, k))
                if have != d and where == k:
                    raise ValueError(f"einsum: dimension {c!r} is {have} and {d} in input {k} "
                                     f"({spec!r} of {equation!r}): a repeated letter takes "
                                     "a diagonal, which needs equal dimensions")
                if have != d:
                    raise ValueError(f"einsum: dimension {c!r} is {have} in one input and "
                                     f"{d} in another")
        for k, (t, spec) in enumerate(zip(tensors, specs)):
            if len(set(spec)) != len(spec):
                tensors[k], specs[k] = _einsum_diagonal(t, k, spec, equation, given[k])
        result, rspec = None, ""
        for k, (t, spec) in enumerate(zip(tensors, specs)):
            later = out + "".join(specs[k + 1:])
            t, spec = _einsum_sum_out(t, spec, later + rspec)
            if result is None:
                result, rspec = t, spec
                continue
            result, rspec = _einsum_pair(result, rspec, t, spec, later)
            result, rspec = _einsum_sum_out(result, rspec, later)
        if rspec != out:
            result = transform_ops.transpose(result, [rspec.index(c) for c in out])
        return array_ops.identity(result, name="Einsum")  # <scope>/Einsum, TF's op's name


def _einsum_expand_ellipsis(eq: str, tensors, equation) -> str:
    """``eq`` with each ``...`` spelled as letters it does not use: one per dimension the
    ellipsis stands for, aligned from the right across operands (as numpy's and TF's). An
    implicit output is the ellipsis' letters, then the letters used once, sorted."""
    lhs, arrow, out = eq.partition("->")
    specs = lhs.split(",")
    if len(specs) != len(tensors):
        raise ValueError(f"einsum: the equation {equation!r} has {len(specs)} operands, "
                         f"got {len(tensors)} inputs")
    counts = []
    for t, spec in zip(tensors, specs):
        if spec.count("...") > 1 or spec.replace("...", "").count(".") or \
                out.count("...") > 1:
            raise ValueError(f"einsum: invalid ellipsis in {equation!r}")
        if "..." in spec:
            if t.shape.rank is None:
                raise ValueError(f"einsum: the ranks of the inputs must be known where the "
                                 f"subscripts have '...': input {t.name} of {equation!r} has "
                                 "unknown rank")
            n = t.shape.rank - (len(spec) - 3)
            if n < 0:
                raise ValueError(f"einsum: input {t.name} has rank {t.shape.rank}, fewer than "
                                 f"the subscripts {spec!r} name")
            counts.append(n)
    free = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in eq]
    letters = "".join(free[:max(counts, default=0)])
    specs = [spec.replace("...", letters[len(letters) - n:]) if "..." in spec else spec
             for spec, n in zip(specs, _einsum_counts(specs, counts))]
    if arrow:
        if letters and "..." not in out:  # numpy's and TF's rule: they are not summed away
            raise ValueError(f"einsum: the output of {equation!r} has no '...' for the "
                             f"{len(letters)} dimensions the inputs' ellipses stand for")
        out = out.replace("...", letters)
    else:
        used = "".join(specs)
        out = letters + "".join(sorted(c for c in set(used) if used.count(c) == 1
                                       and c not in letters))
    return ",".join(specs) + "->" + out


def _einsum_op(eq: str, inputs, name):
    """TF's Einsum op itself, for an ellipsis over an input of unknown rank (the letters cannot
    be expanded before the run; its kernel broadcasts the ellipsis then, as TF's does)."""
    lhs, arrow, out = eq.partition("->")
    if not arrow:  # implicit output: the ellipsis, then the letters used once, in order
        used = lhs.replace("...", "").replace(",", "")
        out = "..." + "".join(sorted(c for c in set(used) if used.count(c) == 1))
    with name_scope(name, "einsum", inputs):
        return EINSUM(inputs, equation=f"{lhs}->{out}", name="Einsum")


def _einsum_with_rank(t, k: int, spec: str, equation):
    """``t`` (of unknown rank) with the rank ``spec`` names: checked at run time, the error
    naming the operand and the equation, then EnsureShape gives the rank to shape inference."""
    n = len(spec)
    check = Assert(logic_ops.equal(array_ops.rank(t), n),
                   [f"einsum: input {k} ({t.name}) of the equation {equation} must have rank "
                    f"{n}, as its subscripts {spec} say; its shape is", array_ops.shape(t)],
                   summarize=32, name=f"check_rank_{k}")
    with control_dependencies([check]):
        return ensure_shape(t, [None] * n, name=f"input_{k}_rank")


def _einsum_diagonal(t, k: int, spec: str, equation, given: str):
    """``t`` reduced to its diagonal over each letter ``spec`` repeats (numpy's and TF's
    rule): the two axes of the letter are moved last and MatrixDiagPart takes them into one,
    the last; so the contraction that follows sees distinct letters only. Dimensions not known
    statically are checked equal at run time (MatrixDiagPart alone would take min(m, n))."""
    source = t
    while len(set(spec)) != len(spec):
        c = next(c for c in spec if spec.count(c) > 1)
        p = spec.index(c)
        q = spec.index(c, p + 1)
        rest = [i for i in range(len(spec)) if i not in (p, q)]
        perm = rest + [p, q]
        if perm != list(range(len(spec))):
            t = transform_ops.transpose(t, perm)
        m, n = t.shape.as_list()[-2:]
        checks = []
        if m is None or n is None:
            dims = array_ops.shape(t)
            checks.append(Assert(
                logic_ops.equal(dims[-2], dims[-1]),
                [f"einsum: input {k} ({given}) of the equation {equation} repeats {c}, "
                 "so the dimensions of that letter must be equal; its shape is",
                 array_ops.shape(source)],
                summarize=32, name=f"check_diagonal_{k}"))
        with control_dependencies(checks):
            t = MATRIX_DIAG_PART(t, name=f"diagonal_{k}")
        spec = "".join(spec[i] for i in rest) + c
    return t, spec


def _einsum_counts(specs, counts):
    """Each operand's ellipsis dimension count (0 for one without an ellipsis)."""
    it = iter(counts)
    return [next(it) if "..." in spec else 0 for spec in specs]


def _einsum_sum_out(t, spec: str, needed: str):
    """``t`` summed over the letters of ``spec`` that ``needed`` lacks."""
    gone = [i for i, c in enumerate(spec) if c not in needed]
    if not gone:
        return t, spec
    return reduction_ops.reduce_sum(t, gone), "".join(c for c in spec if c in needed)


def _einsum_pair(a, sa: str, b, sb: str, keep: str):
    """The contraction of ``a`` and ``b`` over their shared letters that ``keep`` lacks, as
    one (batched) matmul; returns it and its subscripts (batch, a's own, b's own)."""
    batch = [c for c in sa if c in sb and c in keep]
    summed = [c for c in sa if c in sb and c not in keep]
    a_own = [c for c in sa if c not in sb]
    b_own = [c for c in sb if c not in sa]

    def dims(t, spec, letters):
        static = t.shape.as_list()
        dynamic = None
        out = []
        for c in letters:
            d = static[spec.index(c)]
            if d is None:
                dynamic = array_ops.shape(t) if dynamic is None else dynamic
                d = dynamic[spec.index(c)]
            out.append(d)
        return out

    def size(ds):
        if all(isinstance(d, int) for d in ds):
            return _prod(ds)
        return reduction_ops.reduce_prod(concat_split_ops.stack(
            [math_ops.cast(d, "int32") if not isinstance(d, int) else d for d in ds]))

    def arrange(t, spec, order, shape):
        perm = [spec.index(c) for c in order]
        if perm != list(range(len(perm))):
            t = transform_ops.transpose(t, perm)
        return array_ops.reshape(t, shape)

    batch_dims = dims(a, sa, batch)
    a_dims, b_dims, k_dims = dims(a, sa, a_own), dims(b, sb, b_own), dims(a, sa, summed)
    a3 = arrange(a, sa, batch + a_own + summed, batch_dims + [size(a_dims), size(k_dims)])
    b3 = arrange(b, sb, batch + summed + b_own, batch_dims + [size(k_dims), size(b_dims)])
    product = linalg_ops.matmul(a3, b3)
    result = array_ops.reshape(product, batch_dims + a_dims + b_dims)
    return result, "".join(batch + a_own + b_own)


def _prod(dims):
    out = 1
    for d in dims:
        if d is None:
            return None
        out *= d
    return out
