"""GatherTree: the ids of each beam's whole path, traced back through the parent pointers a
beam search recorded at every step (TF 1.x's contrib/seq2seq beam_search_ops). Its public
wrapper is ``tf.contrib.seq2seq.gather_tree`` (core/contrib/seq2seq_beam.py).

TensorFlow 2 dropped the op (it moved to TensorFlow Addons), so the kernel follows TF 1.15's
C++ kernel step by step: every entry starts as ``end_token``; each (batch, beam) path of length
``min(max_time, max_sequence_lengths[batch])`` is read backwards from its last step through
``parent_ids``; an out-of-range parent writes -1 and stops the trace; after the first
``end_token`` of a path every later step becomes ``end_token``.
"""

from __future__ import annotations

import numpy as np

from ..errors import InvalidArgumentError
from ..opdef import NOT_DIFFERENTIABLE, OpDef, TensorSpec, register, shape_error
from ._math_util import _check_dtype

__all__ = ["GATHER_TREE", "gather_tree"]


def _invalid(message):
    return InvalidArgumentError(None, None, message)


def _gather_tree_kernel(step_ids, parent_ids, max_sequence_lengths, end_token):
    step_ids, parent_ids = np.asarray(step_ids), np.asarray(parent_ids)
    lengths, end_token = np.asarray(max_sequence_lengths), np.asarray(end_token)
    if step_ids.ndim != 3:
        raise _invalid(f"step_ids must be a 3-tensor, saw shape: {list(step_ids.shape)}")
    if lengths.ndim != 1:
        raise _invalid("max_sequence_lengths must be a vector, saw shape: "
                       f"{list(lengths.shape)}")
    if end_token.ndim != 0:
        raise _invalid(f"end_token must be a scalar, saw shape: {list(end_token.shape)}")
    if parent_ids.shape != step_ids.shape:
        raise _invalid(f"step_ids.shape() != parent_ids.shape(): {list(step_ids.shape)} vs. "
                       f"{list(parent_ids.shape)}")
    max_time, batch_size, beam_width = step_ids.shape
    if lengths.shape[0] != batch_size:
        raise _invalid(f"batch size dimensions step_ids.shape[1] and "
                       f"max_sequence_lengths.shape[0] must match.  but shapes are: "
                       f"{list(step_ids.shape)} and {list(lengths.shape)}")
    end = int(end_token)
    beams = np.full(step_ids.shape, end, dtype=step_ids.dtype)
    for batch in range(batch_size):
        length = min(max_time, int(lengths[batch]))
        if length <= 0:
            continue
        for beam in range(beam_width):
            beams[length - 1, batch, beam] = step_ids[length - 1, batch, beam]
            parent = int(parent_ids[length - 1, batch, beam])
            for level in range(length - 2, -1, -1):
                if parent < 0 or parent >= beam_width:
                    beams[level, batch, beam] = -1
                    break
                beams[level, batch, beam] = step_ids[level, batch, parent]
                parent = int(parent_ids[level, batch, parent])
            # A path that reached end_token keeps it (a user's trajectory may continue after
            # end_token; a BeamSearchDecoder's never does).
            finished = False
            for time in range(length):
                if finished:
                    beams[time, batch, beam] = end
                elif beams[time, batch, beam] == end:
                    finished = True
    return beams


def _gather_tree_infer(step_ids, parent_ids, max_sequence_lengths, end_token):
    # TF 1.15's OpDef: T in {int32} (TensorFlow 2 has no GatherTree for the generated table).
    _check_dtype(step_ids, ("int32",), "T")
    for name, spec, rank in (("step_ids", step_ids, 3), ("parent_ids", parent_ids, 3),
                             ("max_sequence_lengths", max_sequence_lengths, 1),
                             ("end_token", end_token, 0)):
        if spec.shape.rank is not None and spec.shape.rank != rank:
            raise shape_error(f"Shape must be rank {rank} but is rank {spec.shape.rank} "
                              f"for '{name}'")
    if not step_ids.shape.is_compatible_with(parent_ids.shape):
        raise shape_error(f"Dimensions of step_ids {step_ids.shape} and parent_ids "
                          f"{parent_ids.shape} are not compatible")
    shape = step_ids.shape.merge_with(parent_ids.shape)
    if shape.rank is not None and max_sequence_lengths.shape.rank is not None and \
            not shape[1].is_compatible_with(max_sequence_lengths.shape[0]):
        raise shape_error(f"Dimensions must be equal, but are {shape[1].value} and "
                          f"{max_sequence_lengths.shape[0].value} for step_ids.shape[1] and "
                          "max_sequence_lengths.shape[0]")
    return [TensorSpec(shape, step_ids.dtype)]


GATHER_TREE = register(OpDef(
    "GatherTree",
    inputs=["step_ids:T", "parent_ids:T", "max_sequence_lengths:int32", "end_token:T"],
    kernel=_gather_tree_kernel, infer=_gather_tree_infer,
    grad=NOT_DIFFERENTIABLE,  # integer ids: TF registers no gradient either
    doc="each beam's full path of ids, traced back through the parent ids",
))


def gather_tree(step_ids, parent_ids, max_sequence_lengths, end_token, name=None):
    """TF1's ``tf.contrib.seq2seq.gather_tree``: the GatherTree op."""
    return GATHER_TREE(step_ids, parent_ids, max_sequence_lengths, end_token, name=name)
