"""Cases for DynamicPartition, DynamicStitch and ParallelDynamicStitch: multi-dimensional data
and partitions, empty partitions, gaps and repeated indices (the later entry wins)."""

import numpy as np

from .harness import Case, Const

R = np.random.default_rng(11)


def f32(*shape):
    return R.standard_normal(shape).astype(np.float32)


def i32(values):
    return np.array(values, np.int32)


def _partition_ref(data, partitions, num_partitions):
    """Row by row, in order: each row of data appended to the list of its partition."""
    p = partitions.ndim
    outs = [[] for _ in range(num_partitions)]
    for pos in np.ndindex(*partitions.shape):
        outs[int(partitions[pos])].append(data[pos])
    tail = data.shape[p:]
    return tuple(np.array(rows, dtype=data.dtype).reshape((len(rows),) + tail) for rows in outs)


def _stitch_ref(indices, data):
    """Entries written one at a time in input order, so a repeated index keeps the last."""
    tail = data[0].shape[indices[0].ndim:]
    n = 1 + max([int(i.max()) for i in indices if i.size] or [-1])
    out = np.zeros((n,) + tail, data[0].dtype)
    for ind, d in zip(indices, data):
        for pos in np.ndindex(*ind.shape):
            out[int(ind[pos])] = d[pos]
    return out


def _ci(values):
    return Const(np.array(values, np.int32))


CASES = [
    # DynamicPartition: rows of a matrix, one partition left empty.
    Case("DynamicPartition", [f32(5, 2), i32([1, 0, 3, 1, 0])], attrs={"num_partitions": 4},
         ref=_partition_ref, exact_shape=False),
    # 2-D partitions over the first two dims of 3-D data.
    Case("DynamicPartition", [f32(2, 3, 2), i32([[1, 0, 1], [0, 0, 1]])],
         attrs={"num_partitions": 2}, ref=_partition_ref, exact_shape=False,
         id="DynamicPartition-2d-partitions"),
    # partitions as large as data: scalar rows.
    Case("DynamicPartition", [f32(2, 3), i32([[2, 0, 2], [1, 2, 0]])],
         attrs={"num_partitions": 3}, ref=_partition_ref, exact_shape=False,
         id="DynamicPartition-elements"),
    Case("DynamicPartition", [np.arange(8, dtype=np.int64).reshape(4, 2), i32([0, 0, 0, 0])],
         attrs={"num_partitions": 2}, ref=_partition_ref, exact_shape=False,
         id="DynamicPartition-int-all-in-one"),
    Case("DynamicPartition", [np.float32(2.5), np.int32(1)], attrs={"num_partitions": 2},
         ref=_partition_ref, exact_shape=False, id="DynamicPartition-scalar"),
    Case("DynamicPartition", [np.zeros((0, 3), np.float32), np.zeros(0, np.int32)],
         attrs={"num_partitions": 2}, ref=_partition_ref, exact_shape=False,
         id="DynamicPartition-empty"),
    # DynamicStitch: constant indices give the first dimension statically.
    Case("DynamicStitch", [[_ci([0, 2]), _ci([1, 3])], [f32(2), f32(2)]], ref=_stitch_ref,
         id="DynamicStitch-vectors"),
    Case("DynamicStitch", [[_ci([[4, 0], [2, 1]]), _ci(3)], [f32(2, 2, 3), f32(3)]],
         ref=_stitch_ref, id="DynamicStitch-2d-and-scalar-indices"),
    # A gap (rows never written are zero) and indices fed at run time.
    Case("DynamicStitch", [[i32([0, 5]), i32([2])], [f32(2, 2), f32(1, 2)]], ref=_stitch_ref,
         grad=[2, 3], exact_shape=False, id="DynamicStitch-gap-fed"),
    # Repeated indices: the later one wins, within one input and across inputs. TF's gradient
    # then reaches every writer, so no numerical check.
    Case("DynamicStitch", [[_ci([0, 1, 1]), _ci([1, 3])], [f32(3, 2), f32(2, 2)]],
         ref=_stitch_ref, grad=[], id="DynamicStitch-duplicates"),
    Case("DynamicStitch", [[i32([3, 0]), i32([0, 3, 1])], [i32([7, 8]), i32([1, 2, 3])]],
         ref=_stitch_ref, exact_shape=False, id="DynamicStitch-int-duplicates"),
    Case("DynamicStitch", [[_ci(np.zeros(0, np.int32))], [np.zeros((0, 3), np.float32)]],
         ref=_stitch_ref, id="DynamicStitch-empty"),
    Case("ParallelDynamicStitch", [[_ci([1, 4]), _ci([[0], [2]]), _ci(3)],
                                   [f32(2, 2), f32(2, 1, 2), f32(2)]],
         ref=_stitch_ref, id="ParallelDynamicStitch-mixed"),
    Case("ParallelDynamicStitch", [[i32([2, 0]), i32([1])], [f32(2), f32(1)]],
         ref=_stitch_ref, exact_shape=False, id="ParallelDynamicStitch-fed"),
]
