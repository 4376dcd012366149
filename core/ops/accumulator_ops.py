"""TF1's gradient accumulators, behind core/accumulators.py: ResourceConditionalAccumulator and
the ops on its resource handle (ResourceAccumulatorApplyGradient, ResourceAccumulatorTakeGradient,
ResourceAccumulatorNumAccumulated, ResourceAccumulatorSetGlobalStep), which tf.compat.v1's
ConditionalAccumulator builds; SparseConditionalAccumulator and the ops on its string-reference
handle (SparseAccumulatorApplyGradient, SparseAccumulatorTakeGradient, AccumulatorNumAccumulated,
AccumulatorSetGlobalStep), which its SparseConditionalAccumulator still builds; and the older
reference-handle dense ops (ConditionalAccumulator, AccumulatorApplyGradient,
AccumulatorTakeGradient) that GraphDefs written by TF1 may hold.

An accumulator op outputs a handle (the ``Accumulator`` object itself), one per op and session,
kept in the session's per-op state as the queues' are. Semantics are TF's kernels'
(conditional_accumulator_base.cc): a gradient whose local_step is below the accumulator's global
step is dropped (before any check of it); a TakeGradient waits, behind the takes that came
before it, until ``num_required`` gradients are in, then gives their mean (or sum), resets the
count and increments the global step. As in TF the take completes in the run that applies the
last gradient it needs, so the next gradient already sees the new global step. A waiting take
is cancelled by Session.close() (CancelledError) or ends at the run's deadline
(DeadlineExceededError), as a blocked dequeue (core/ops/queue_ops.py ``Blocking``).
"""

from __future__ import annotations

from collections import deque

import numpy as np

from .. import dtypes as _dt
from .. import tf_logging as logging
from ..errors import CancelledError, DeadlineExceededError, InvalidArgumentError
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, req
from ..tensor_shape import TensorShape, as_shape
from .queue_ops import Blocking, _shape_text, resource_in, resource_name

__all__: list[str] = []  # the public API lives in core/accumulators.py

# TF's "numbertype" (the list its message names); minitf has the ones it can hold in numpy.
_NUMBER_TYPES = ("float32, float64, int32, uint8, int16, int8, complex64, int64, qint8, quint8, "
                 "qint32, bfloat16, qint16, quint16, uint16, complex128, float16, uint32, uint64")
_NUMBER = {_dt.float32, _dt.float64, _dt.int32, _dt.uint8, _dt.int16, _dt.int8, _dt.complex64,
           _dt.int64, _dt.uint16, _dt.complex128, _dt.float16, _dt.uint32, _dt.uint64}

_KERNEL_TYPES = {_dt.float16, _dt.float32, _dt.float64}
_TF_ENUM_NAMES = {"float16": "HALF", "float32": "FLOAT", "float64": "DOUBLE"}


def _partial_text(shape: TensorShape) -> str:
    """PartialTensorShape::DebugString."""
    return "<unknown>" if shape.rank is None else _shape_text(shape.as_list())


def _divide(total: np.ndarray, count) -> np.ndarray:
    """``total / count`` in the gradient's (floating) dtype."""
    return (total / np.asarray(count, dtype=total.dtype)).astype(total.dtype, copy=False)


class Accumulator(Blocking):
    """One accumulator in one session: the count of gradients in it, its global step and the
    waiting takes, in arrival order (only the first is served, as TF's attempt queue)."""

    def __init__(self, name, dtype, shape, reduction_type):
        super().__init__()
        self.name, self.dtype, self.reduction_type = name, dtype, reduction_type
        self.shape = as_shape(shape)
        self.counter = 0
        self.global_step = 0
        self._takes: deque = deque()  # [num_required, result or None]

    def _dims(self):
        """TF's PartialTensorShape: (dims, dim sizes) with -1 for unknown rank or size."""
        if self.shape.rank is None:
            return -1, []
        return self.shape.rank, [-1 if d is None else d for d in self.shape.as_list()]

    def num_accumulated(self) -> np.int32:
        with self.cv:
            return np.int32(self.counter)

    def set_global_step(self, step: int):
        with self.cv:
            if step < self.global_step:
                logging.warning("Attempt to set current_global_step_ to smaller value: "
                                "current_global_step_ = %d >= %d = new_global_step.",
                                self.global_step, step)
            self.global_step = step

    def apply(self, local_step: int, grad):
        """Adds ``grad`` unless it is stale; a take it completes is served here."""
        with self.cv:
            try:
                if local_step >= self.global_step:
                    self._check(grad)
                    if self.counter == 0:
                        self._assign(grad)
                    else:
                        self._add(grad)
                    self.counter += 1
            finally:
                self._serve()

    def take(self, num_required: int):
        if num_required <= 0:
            raise InvalidArgumentError(None, None, "Argument num_required must be positive, "
                                       f"but was {num_required}")
        attempt = [num_required, None]
        with self.cv:
            if self.session_closed:
                raise CancelledError(None, None, "TakeGrad operation was cancelled")
            self._takes.append(attempt)
            self._serve()
            try:
                while attempt[1] is None:
                    self._wait("TakeGrad")
            except (CancelledError, DeadlineExceededError):
                if attempt[1] is None:
                    self._takes.remove(attempt)
                    self._serve()  # the takes behind it may be served now
                    raise
        return attempt[1]

    def _serve(self):
        served = False
        while self._takes and self.counter >= self._takes[0][0]:
            attempt = self._takes.popleft()
            self.global_step += 1
            attempt[1] = self._result(self.reduction_type == "MEAN")
            self.counter = 0
            served = True
        if served:
            self.cv.notify_all()


class DenseAccumulator(Accumulator):
    """TF's ConditionalAccumulator: the sum of dense gradients of one shape."""

    total: np.ndarray

    def _check(self, grad):
        if self.counter > 0 and self.total.shape != grad.shape:
            raise InvalidArgumentError(None, None, f"Shape mismatch: expected "
                                       f"{_shape_text(self.total.shape)}, got "
                                       f"{_shape_text(grad.shape)}")
        if not self.shape.is_compatible_with(TensorShape(grad.shape)):
            raise InvalidArgumentError(None, None, f"Shape mismatch: expected "
                                       f"{_partial_text(self.shape)}, got "
                                       f"{_shape_text(grad.shape)}")

    def _assign(self, grad):
        self.total = np.array(grad, dtype=self.dtype.as_numpy_dtype, copy=True)

    def _add(self, grad):
        np.add(self.total, grad, out=self.total)

    def _result(self, mean: bool):
        if mean:
            self.total = _divide(self.total, self.counter)
        return self.total


class SparseAccumulator(Accumulator):
    """TF's SparseConditionalAccumulator: indexed slices summed row by row (a merge of the
    index lists, which TF expects in increasing order, done as TF's kernel does it for any
    order), each row's mean taken over the gradients that had it."""

    def _check(self, grad):
        indices, values, shape = grad
        if indices.ndim != 1:
            raise InvalidArgumentError(None, None, "Input indices should be vector but received "
                                       f"shape: {_shape_text(indices.shape)}")
        if values.ndim == 0:
            raise InvalidArgumentError(None, None, "Values cannot be 0-dimensional.")
        if values.shape[0] != indices.shape[0]:
            raise InvalidArgumentError(None, None, f"Expected {indices.shape[0]} non-empty "
                                       f"input values, got {values.shape[0]}")
        dims, sizes = self._dims()
        if shape is not None:
            shape = shape.reshape(-1)
            if dims > shape.size:
                raise InvalidArgumentError(None, None, "Shape mismatch: expected shape rank at "
                                           f"least {dims}, got {shape.size}")
            for i in range(dims):
                if sizes[i] != -1 and sizes[i] != shape[i]:
                    raise InvalidArgumentError(None, None, f"Shape mismatch: expected shape dim "
                                               f"{i} to be {sizes[i]}, got {shape[i]}")
        if dims > 0 and sizes[0] != -1 and (indices >= sizes[0]).any():
            i = int(np.argmax(indices >= sizes[0]))  # the first, as TF's loop reports
            raise InvalidArgumentError(None, None, f"Shape mismatch: index of slice {i} exceeded "
                                       f"limits of shape; index is {indices[i]} exceeded "
                                       f"{sizes[0]}")
        if self.counter > 0:
            if self.values.ndim != values.ndim:
                raise InvalidArgumentError(None, None, "Shape mismatch: expected values rank "
                                           f"{self.values.ndim}, got {values.ndim}")
            for i in range(1, values.ndim):
                if self.values.shape[i] != values.shape[i]:
                    raise InvalidArgumentError(
                        None, None, f"Shape mismatch: expected values dim {i} to be "
                        f"{self.values.shape[i]}, got {values.shape[i]}")
        else:
            if dims > values.ndim:
                raise InvalidArgumentError(None, None, "Shape mismatch: expected values rank at "
                                           f"least {dims}, got {values.ndim}")
            for i in range(1, max(dims, 0)):
                if sizes[i] != -1 and sizes[i] != values.shape[i]:
                    raise InvalidArgumentError(None, None, f"Shape mismatch: expected values dim "
                                               f"{i} to be {sizes[i]}, got {values.shape[i]}")

    def _assign(self, grad):
        indices, values, _ = grad
        self.indices = np.array(indices, dtype=np.int64).reshape(-1)
        self.values = np.array(values, dtype=self.dtype.as_numpy_dtype, copy=True)
        self.counts = np.ones(self.indices.size, np.int64)

    def _add(self, grad):
        """TF's merge (``merge_rows``): rows of equal index meeting in it are summed."""
        indices, values = np.asarray(grad[0], np.int64).reshape(-1), grad[1]
        at_old, at_new, size = merge_rows(self.indices, indices)
        if size == self.indices.size:  # every new row meets an old one: add in place
            self.values[at_new] += values
            self.counts[at_new] += 1
            return
        paired = np.zeros(size, bool)
        paired[at_old] = True
        paired = paired[at_new]  # per new row: it meets an old one
        merged = np.empty((size,) + self.values.shape[1:], self.values.dtype)
        merged[at_old] = self.values
        merged[at_new[~paired]] = values[~paired]
        merged[at_new[paired]] += values[paired]  # each merged row once: no np.add.at needed
        merged_indices, counts = np.empty(size, np.int64), np.zeros(size, np.int64)
        merged_indices[at_old], merged_indices[at_new] = self.indices, indices
        counts[at_old] = self.counts
        counts[at_new] += 1
        self.indices, self.values, self.counts = merged_indices, merged, counts

    def _result(self, mean: bool):
        if mean and self.counts.size:
            counts = self.counts.reshape((-1,) + (1,) * (self.values.ndim - 1))
            self.values = _divide(self.values, counts)
        dims, sizes = self._dims()
        shape = [sizes[0] if dims > 0 else -1] + list(self.values.shape[1:])
        return [self.indices, self.values, np.array(shape, dtype=np.int64)]


# -- TF's merge of the index lists, vectorised ----------------------------------------------------
# TF's kernel walks the accumulated index list a and a gradient's b as a merge, whatever their
# order: the smaller head goes first, equal heads make one summed row. Non-decreasing lists merge
# into their sorted union (``_union``). Otherwise the walk follows the running maxima: a[i] goes
# before b[j] exactly when max(a[:i+1]) < max(b[:j+1]). So each list splits into blocks of equal
# running maximum, merged in the order of it; rows of a and b meet only in two blocks of the same
# maximum v: their leading runs of v pair up, and the rest of the two (all <= v) merge again on
# their own, as a nest. ``_level`` does one level of nests at a time, all of them at once.
def _walk(a: list, b: list) -> tuple[list, list]:
    """TF's walk itself: each merged row's row of a and of b, -1 for none."""
    rows_a, rows_b, i, j = [], [], 0, 0
    while i < len(a) and j < len(b):
        rows_a.append(i if a[i] <= b[j] else -1)
        rows_b.append(j if a[i] >= b[j] else -1)
        i, j = i + (rows_a[-1] >= 0), j + (rows_b[-1] >= 0)
    rest_a, rest_b = range(i, len(a)), range(j, len(b))
    return rows_a + [*rest_a] + [-1] * len(rest_b), rows_b + [-1] * len(rest_a) + [*rest_b]


def _union(a, b):
    """The merge of non-decreasing lists, without a sort: the k-th row of index v in one meets
    the k-th of v in the other, if it has one; rows go in order of (v, k)."""
    def places(x, y):  # x's rows before, y's rows of smaller (v, k), less the pairs before
        lo, rows = np.searchsorted(y, x, "left"), np.arange(x.size)
        hi = np.searchsorted(y, x, "right") if (y[1:] == y[:-1]).any() else \
            lo + (y[np.minimum(lo, y.size - 1)] == x)
        k = rows - np.maximum.accumulate(np.where(np.append(True, x[1:] != x[:-1]), rows, 0))
        paired = k < hi - lo
        return rows + lo + np.minimum(k, hi - lo) - (np.cumsum(paired) - paired)

    at_a, at_b = places(a, b), places(b, a)
    return at_a, at_b, max(at_a[-1], at_b[-1]) + 1


def _blocks(v, base):
    """One side's blocks (``base``, the nest times the value range, keeps nests apart): each
    block's key (base + running maximum), start, length and leading run of its maximum; each
    row's block and offset in it."""
    top = np.maximum.accumulate(base + v)
    new = np.append(True, top[1:] != top[:-1])
    start = np.flatnonzero(new)
    length = np.diff(np.append(start, v.size))
    block, rows = np.cumsum(new) - 1, np.arange(v.size)
    below = np.minimum.reduceat(np.where(base + v != top, rows, v.size), start)
    return (top[start], start, length, np.minimum(below, start + length) - start, block,
            rows - start[block])


def _level(ra, rb, u, pa, na, pb, nb):
    """One level of nests (rows pa of a, pb of b, in nests na, nb; each nest has rows of both):
    the level's rows in merged order (4 x rows: nest, row of a, row of b, its new nest or -1)
    and the new nests."""
    ka, sa, la, runa, xa, oa = _blocks(ra[pa], na * u)
    kb, sb, lb, runb, xb, ob = _blocks(rb[pb], nb * u)
    at = np.minimum(np.searchsorted(kb, ka), kb.size - 1)
    ya = np.where(kb[at] == ka, at, -1)  # each block of a's block of b of the same key
    at = np.minimum(np.searchsorted(ka, kb), ka.size - 1)
    yb = np.where(ka[at] == kb, at, -1)
    pairs = np.where(ya >= 0, np.minimum(runa, runb[ya]), 0)  # per block of a
    nest = (ya >= 0) & (la > pairs) & (lb[ya] > pairs)  # both blocks have rows left
    child = np.cumsum(nest) - 1
    pairs_b = np.where(yb >= 0, pairs[yb], 0)[xb]
    nested_a = nest[xa] & (oa >= pairs[xa])
    nested_b = ((yb >= 0) & nest[yb])[xb] & (ob >= pairs_b)
    out_a, out_b = ~nested_a, ~nested_b & (ob >= pairs_b)  # b's paired rows are a's
    partner = np.full(pa.size, -1)
    paired = out_a & (oa < pairs[xa])
    partner[paired] = pb[sb[ya[xa[paired]]] + oa[paired]]
    holes = np.flatnonzero(nest)
    place_a = np.arange(ka.size) + np.searchsorted(kb, ka)  # blocks in merged order
    place_b = np.arange(kb.size) + np.searchsorted(ka, kb)
    width = max(la.max(), lb.max()) + 1
    keys = (place_a[xa[out_a]] * width + oa[out_a], place_b[xb[out_b]] * width + ob[out_b],
            place_a[holes] * width + pairs[holes])  # each increasing: merged by searchsorted
    rows = np.empty((4, sum(k.size for k in keys)), np.int64)
    for key, parts in zip(keys, ((na[out_a], pa[out_a], partner[out_a], -1),
                                 (nb[out_b], -1, pb[out_b], -1),
                                 (ka[holes] // u, -1, -1, child[holes]))):
        at = np.arange(key.size) + sum(np.searchsorted(k, key) for k in keys if k is not key)
        for i, part in enumerate(parts):
            rows[i, at] = part
    return rows, (pa[nested_a], child[xa[nested_a]], pb[nested_b], child[yb[xb[nested_b]]])


def _splice(seq, rows, count):
    """``seq`` (merged rows' numbers, -1 - s for nest s, nests in order) with each nest's place
    taken by its rows of this level, the finished ones numbered from ``count``."""
    nest, new = rows[0], rows[3]
    numbers = np.where(new < 0, count + np.cumsum(new < 0) - 1, -1 - new)
    holes = np.flatnonzero(seq < 0)
    size = np.bincount(nest, minlength=holes.size)
    width = np.ones(seq.size, np.int64)
    width[holes] = size
    at = np.cumsum(width) - width
    out = np.empty(int(width.sum()), np.int64)
    out[at[seq >= 0]] = seq[seq >= 0]
    out[at[holes][nest] + np.arange(nest.size) - (np.cumsum(size) - size)[nest]] = numbers
    return out


def merge_rows(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """TF's merge of index lists ``a`` (accumulated) and ``b`` (a gradient's): where each row of
    a and each row of b goes in the merged list (a row of each at one place: they are summed),
    and its length."""
    if not (a.size and b.size):
        return np.arange(a.size), a.size + np.arange(b.size), a.size + b.size
    if (a[1:] >= a[:-1]).all() and (b[1:] >= b[:-1]).all():
        return _union(a, b)
    low, high = int(min(a.min(), b.min())), int(max(a.max(), b.max()))
    if (high - low + 1) * (a.size + b.size) < 2 ** 62:  # nests * range fits in int64
        ra, rb, u = a - low, b - low, high - low + 1
    else:  # the ranks instead
        ranks = np.unique(np.concatenate([a, b]), return_inverse=True)[1].reshape(-1)
        ra, rb, u = ranks[:a.size], ranks[a.size:], int(ranks.max()) + 1
    live = np.arange(a.size), np.zeros(a.size, np.int64), np.arange(b.size), \
        np.zeros(b.size, np.int64)
    seq, done, count, walk = np.array([-1]), [], 0, False
    while live[0].size:
        if walk:  # TF's walk, nest by nest
            rows = []
            pa, na, pb, nb = live
            for s, (xa, xb) in enumerate(zip(np.split(pa, np.flatnonzero(np.diff(na)) + 1),
                                             np.split(pb, np.flatnonzero(np.diff(nb)) + 1))):
                i, j = (np.array(r, np.int64) for r in _walk(ra[xa].tolist(), rb[xb].tolist()))
                rows.append([np.full(i.size, s), np.append(xa, -1)[i], np.append(xb, -1)[j],
                             np.full(i.size, -1)])
            rows, live = np.concatenate(rows, axis=1), (pa[:0],)
        else:
            before = live[0].size + live[2].size
            rows, live = _level(ra, rb, u, *live)
            # a level that leaves over half its rows in nests: the walk is the quicker now
            walk = 2 * (live[0].size + live[2].size) > before
        finished = rows[3] < 0
        done.append(rows[1:3, finished])
        seq = _splice(seq, rows, count)
        count += int(finished.sum())
    rows = np.concatenate(done, axis=1)[:, seq]  # each merged row's row of a and of b
    at_a, at_b = np.empty(a.size, np.int64), np.empty(b.size, np.int64)
    at_a[rows[0, rows[0] >= 0]] = np.flatnonzero(rows[0] >= 0)
    at_b[rows[1, rows[1] >= 0]] = np.flatnonzero(rows[1] >= 0)
    return at_a, at_b, seq.size


# -- the accumulator ops -------------------------------------------------------------------------
def _accumulator_def(op_type, kind, handle_dtype, doc):
    def kernel(state, *, dtype, shape, container, shared_name, reduction_type,
               _node_name=None):
        if dtype not in _KERNEL_TYPES:  # the OpDef allows any number type; TF's kernels do not
            raise InvalidArgumentError(None, None, f"No OpKernel was registered to support Op "
                                       f"'{op_type}' with these attrs: [dtype="
                                       f"DT_{_TF_ENUM_NAMES.get(dtype.name, dtype.name.upper())}"
                                       "]; its kernels take dtype in [DT_DOUBLE, DT_FLOAT, "
                                       "DT_HALF]")
        return resource_in(state, lambda: kind(
            resource_name(shared_name, _node_name, op_type), dtype, shape, reduction_type))

    def infer(*, dtype, shape, container, shared_name, reduction_type, _node_name=None):
        if dtype not in _NUMBER:
            raise TypeError(f"Value passed to parameter 'dtype' has DataType {dtype.name} not "
                            f"in list of allowed values: {_NUMBER_TYPES}")
        if reduction_type not in ("MEAN", "SUM"):
            raise ValueError(f"Attr 'reduction_type' of '{op_type}' Op passed string "
                             f"'{reduction_type}' not in: \"MEAN\", \"SUM\".")
        return [TensorSpec(TensorShape([2]), handle_dtype)]  # TF's: a vector of 2

    return register(OpDef(
        op_type, attrs={"dtype": req("type"), "shape": req("shape"), "container": "",
                        "shared_name": "", "reduction_type": "MEAN"},
        kernel=kernel, infer=infer, grad=NOT_DIFFERENTIABLE, stateful=True, resource="state",
        doc=doc))


RESOURCE_CONDITIONAL_ACCUMULATOR = _accumulator_def(
    "ResourceConditionalAccumulator", DenseAccumulator, _dt.resource,
    "A dense gradient accumulator's resource handle.")
CONDITIONAL_ACCUMULATOR = _accumulator_def(
    "ConditionalAccumulator", DenseAccumulator, _dt.string,
    "A dense gradient accumulator's reference handle (TF1's older op).")
SPARSE_CONDITIONAL_ACCUMULATOR = _accumulator_def(
    "SparseConditionalAccumulator", SparseAccumulator, _dt.string,
    "A sparse (IndexedSlices) gradient accumulator's reference handle.")


def _scalar(spec):
    if spec.shape.rank not in (None, 0):
        raise InvalidArgumentError(None, None, f"Shape must be rank 0 but is rank "
                                   f"{spec.shape.rank}")


def _scalar_value(value, what) -> int:
    value = np.asarray(value)
    if value.ndim != 0:
        raise InvalidArgumentError(None, None, f"Argument {what} must be scalar, but had bad "
                                   f"shape {_shape_text(value.shape)}")
    return int(value)


def _check_signature(acc, dtype, inputs, output=False):
    """TF's MatchSignature: the op's dtype (at "T" in ``inputs``, or its output) must be the
    accumulator's."""
    if dtype != acc.dtype:
        def text(d):
            names = ", ".join(_dt.dtype_string(d) if n == "T" else n for n in inputs)
            return names + (f"->{_dt.dtype_string(d)}" if output else "")
        raise InvalidArgumentError(None, None, f"Signature mismatch, have: {text(dtype)} "
                                   f"expected: {text(acc.dtype)}")


def _handle(ref: bool) -> tuple:
    return ("handle:string", "string_ref") if ref else ("handle:resource", "resource")


def _apply_def(op_type, ref):
    arg, name = _handle(ref)

    def kernel(acc, local_step, gradient):
        gradient = np.asarray(gradient)
        _check_signature(acc, _dt.as_dtype(gradient.dtype), (name, "int64", "T"))
        acc.apply(_scalar_value(local_step, "local_step"), gradient)
        return ()

    def infer(handle, local_step, gradient):
        _scalar(local_step)
        return []

    return register(OpDef(
        op_type, inputs=[arg, "local_step:int64", "gradient:dtype"], kernel=kernel,
        infer=infer, grad=NOT_DIFFERENTIABLE, stateful=True,
        doc="Adds a dense gradient to the accumulator unless it is stale."))


def _take_def(op_type, ref, sparse=False):
    arg, name = _handle(ref)

    def kernel(acc, num_required, *, dtype):
        _check_signature(acc, dtype, (name, "int32"), output=True)
        return acc.take(_scalar_value(num_required, "num_required"))

    def infer(handle, num_required, *, dtype):
        _scalar(num_required)
        if sparse:  # TF's shape function gives all three unknown (not even vectors)
            return [TensorSpec(TensorShape(None), _dt.int64), TensorSpec(TensorShape(None), dtype),
                    TensorSpec(TensorShape(None), _dt.int64)]
        return [TensorSpec(TensorShape(None), dtype)]  # the shape is the Python class's

    return register(OpDef(
        op_type, inputs=[arg, "num_required:int32"], attrs={"dtype": req("type")},
        kernel=kernel, infer=infer, grad=NOT_DIFFERENTIABLE, stateful=True,
        doc="Waits for num_required gradients; gives their mean (or sum)" +
            (" as (indices, values, dense shape)." if sparse else ".")))


def _num_accumulated_def(op_type, ref):
    return register(OpDef(
        op_type, inputs=[_handle(ref)[0]], kernel=lambda acc: acc.num_accumulated(),
        infer=lambda handle: [TensorSpec(TensorShape([]), _dt.int32)],
        grad=NOT_DIFFERENTIABLE, stateful=True,
        doc="The number of gradients in the accumulator."))


def _set_global_step_kernel(acc, new_global_step):
    acc.set_global_step(_scalar_value(new_global_step, "new_global_step"))
    return ()


def _set_global_step_infer(handle, new_global_step):
    _scalar(new_global_step)
    return []


def _set_global_step_def(op_type, ref):
    return register(OpDef(
        op_type, inputs=[_handle(ref)[0], "new_global_step:int64"],
        kernel=_set_global_step_kernel, infer=_set_global_step_infer, grad=NOT_DIFFERENTIABLE,
        stateful=True,
        doc="Sets the accumulator's global step (gradients computed before it are stale)."))


RESOURCE_ACCUMULATOR_APPLY_GRADIENT = _apply_def("ResourceAccumulatorApplyGradient", False)
RESOURCE_ACCUMULATOR_TAKE_GRADIENT = _take_def("ResourceAccumulatorTakeGradient", False)
RESOURCE_ACCUMULATOR_NUM_ACCUMULATED = _num_accumulated_def(
    "ResourceAccumulatorNumAccumulated", False)
RESOURCE_ACCUMULATOR_SET_GLOBAL_STEP = _set_global_step_def(
    "ResourceAccumulatorSetGlobalStep", False)
ACCUMULATOR_APPLY_GRADIENT = _apply_def("AccumulatorApplyGradient", True)
ACCUMULATOR_TAKE_GRADIENT = _take_def("AccumulatorTakeGradient", True)
ACCUMULATOR_NUM_ACCUMULATED = _num_accumulated_def("AccumulatorNumAccumulated", True)
ACCUMULATOR_SET_GLOBAL_STEP = _set_global_step_def("AccumulatorSetGlobalStep", True)


def _sparse_apply_kernel(acc, local_step, indices, values, shape, *, has_known_shape):
    values = np.asarray(values)
    _check_signature(acc, _dt.as_dtype(values.dtype),
                     ("string_ref", "int64", "int64", "T", "int64"))
    acc.apply(_scalar_value(local_step, "local_step"),
              (np.asarray(indices), values, np.asarray(shape) if has_known_shape else None))
    return ()


def _sparse_apply_infer(handle, local_step, indices, values, shape, *, has_known_shape):
    _scalar(local_step)
    return []


SPARSE_ACCUMULATOR_APPLY_GRADIENT = register(OpDef(
    "SparseAccumulatorApplyGradient",
    inputs=["handle:string", "local_step:int64", "gradient_indices:int64",
            "gradient_values:dtype", "gradient_shape:int64"],
    attrs={"has_known_shape": req("bool")}, kernel=_sparse_apply_kernel,
    infer=_sparse_apply_infer, grad=NOT_DIFFERENTIABLE, stateful=True,
    doc="Adds indexed slices to the sparse accumulator unless they are stale."))
SPARSE_ACCUMULATOR_TAKE_GRADIENT = _take_def("SparseAccumulatorTakeGradient", True, sparse=True)
